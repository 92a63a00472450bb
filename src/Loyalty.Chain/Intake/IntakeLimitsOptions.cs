using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Intake;

/// <summary>
/// Magnitude caps on what one event may bring in (section "Limits"). An amount near int64 once gave points whose
/// sums overflowed, and the settlement job threw on every run; the caps keep every sum of points far below int64.
/// </summary>
public sealed class IntakeLimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Largest event or line amount, in the currency's minor units (default: 1,000,000,000.00 in a 2-decimal currency).</summary>
    [Range(1, long.MaxValue)] public long MaxEventAmount { get; set; } = 100_000_000_000;

    /// <summary>Most points (smallest unit) one event may award.</summary>
    [Range(1, long.MaxValue)] public long MaxPointsPerEvent { get; set; } = 10_000_000_000_000;

    /// <summary>Most points one member may hold (pending + available + reserved) after an event: 9,000 members at the cap still sum within int64.</summary>
    [Range(1, long.MaxValue)] public long MaxPointsPerMember { get; set; } = 1_000_000_000_000_000;
}
