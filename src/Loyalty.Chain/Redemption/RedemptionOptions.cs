using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Redemption;

/// <summary>Redemption settings (section "Redemptions").</summary>
public sealed class RedemptionOptions
{
    public const string Section = "Redemptions";

    /// <summary>
    /// Burn rounds a redemption may take (a skipped entry, or a round held back because the wallet holds less than the
    /// ledger says) before it fails with BURN_RETRIES_EXHAUSTED, its reservation released and an alert raised. Without
    /// a cap such an entry was signed and skipped again on every run, forever. The default (about 10 minutes of 5 s
    /// rounds) outlasts a lagging or load-balanced node's stale balanceOf, so a shown coupon is not voided by a blip.
    /// </summary>
    [Range(1, 10000)] public int MaxBurnAttempts { get; set; } = 120;
}
