using Loyalty.Chain.Ledger;

namespace Loyalty.Chain.Tests.Ledger;

public sealed class LotPlannerTests
{
    private static readonly DateTime Day = new(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void SoonestExpiryFirst_ThenNeverExpiring_OldestFirstWithinADate()
    {
        var lots = new LotPlanner.Lot[] { new(1, 50, Day.AddDays(20)), new(2, 40, null), new(3, 30, Day.AddDays(5)), new(4, 10, Day.AddDays(5)) };
        Assert.Equal([new(3, 30), new(4, 10), new(1, 20)], LotPlanner.Plan(lots, 60));
        Assert.Equal([new(3, 30), new(4, 10), new(1, 50), new(2, 5)], LotPlanner.Plan(lots, 95));
    }

    [Fact]
    public void APreferredLot_GoesFirst()
    {
        var lots = new LotPlanner.Lot[] { new(1, 50, Day), new(2, 40, null) };
        Assert.Equal([new(2, 40), new(1, 5)], LotPlanner.Plan(lots, 45, preferLotId: 2));
    }

    [Fact]
    public void NeverMoreThanALotHolds_OrThanAsked_AndShortWhenTheLotsHoldLess()
    {
        var lots = new LotPlanner.Lot[] { new(1, 5, Day), new(2, 0, Day), new(3, 7, null) };
        Assert.Equal([new(1, 5), new(3, 7)], LotPlanner.Plan(lots, 100));
        Assert.Empty(LotPlanner.Plan(lots, 0));
    }

    [Fact]
    public void RandomLots_ThePlanTakesExactlyMinOfAskedAndHeld_AndRespectsTheOrder()
    {
        var random = new Random(7);
        for (var run = 0; run < 500; run++)
        {
            var lots = Enumerable.Range(1, random.Next(0, 8)).Select(i => new LotPlanner.Lot(i, random.Next(0, 50),
                random.Next(3) == 0 ? null : Day.AddDays(random.Next(0, 4)))).ToList();
            var amount = (long)random.Next(0, 200);
            var plan = LotPlanner.Plan(lots, amount);
            Assert.Equal(Math.Min(amount, lots.Sum(l => l.Remaining)), plan.Sum(t => t.Amount));
            Assert.All(plan, t => Assert.InRange(t.Amount, 1, lots.Single(l => l.Id == t.LotId).Remaining));
            // Only the last lot taken may be taken in part, and no lot that expires sooner is left with points.
            Assert.All(plan.SkipLast(1), t => Assert.Equal(lots.Single(l => l.Id == t.LotId).Remaining, t.Amount));
            var lastExpiry = plan.Count == 0 ? null : lots.Single(l => l.Id == plan[^1].LotId).ExpiresAt;
            var untouched = lots.Where(l => l.Remaining > 0 && plan.All(t => t.LotId != l.Id));
            if (lastExpiry is { } cut) Assert.All(untouched, l => Assert.True(l.ExpiresAt is null || l.ExpiresAt >= cut));
        }
    }
}
