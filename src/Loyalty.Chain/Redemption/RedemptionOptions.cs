using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Redemption;

/// <summary>Redemption settings (section "Redemptions").</summary>
public sealed class RedemptionOptions
{
    public const string Section = "Redemptions";

    /// <summary>
    /// Burn rounds a redemption may take (a skipped entry, or a round held back because the wallet holds less than the
    /// ledger says) before it fails with BURN_RETRIES_EXHAUSTED, its reservation released and an alert raised. Without
    /// a cap such an entry was signed and skipped again on every run, forever.
    /// </summary>
    [Range(1, 1000)] public int MaxBurnAttempts { get; set; } = 5;
}
