namespace Loyalty.Chain.Ledger;

/// <summary>
/// Which lots a debit takes (pure, deterministic): a preferred lot first (a return's own earning), then the lots that
/// expire soonest, then the never-expiring ones, the oldest first within each date. Never more than a lot holds, never
/// more than asked; short only when the lots hold less.
/// </summary>
public static class LotPlanner
{
    public readonly record struct Lot(long Id, long Remaining, DateTime? ExpiresAt);

    public static List<LedgerWriter.LotTake> Plan(IEnumerable<Lot> lots, long amount, long? preferLotId = null)
    {
        if (amount < 0) throw new ArgumentOutOfRangeException(nameof(amount));
        var ordered = lots.Where(l => l.Remaining > 0)
            .OrderBy(l => l.Id != preferLotId)
            .ThenBy(l => l.ExpiresAt is null)
            .ThenBy(l => l.ExpiresAt)
            .ThenBy(l => l.Id);
        var plan = new List<LedgerWriter.LotTake>();
        var left = amount;
        foreach (var lot in ordered)
        {
            if (left == 0) break;
            var take = Math.Min(left, lot.Remaining);
            plan.Add(new LedgerWriter.LotTake(lot.Id, take));
            left -= take;
        }
        return plan;
    }
}
