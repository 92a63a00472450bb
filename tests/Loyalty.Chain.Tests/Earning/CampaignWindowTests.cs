using Loyalty.Chain.Earning;
using Microsoft.Extensions.Time.Testing;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>A campaign is a rule with a window [StartsAt, EndsAt), judged by the event's time.</summary>
public class CampaignWindowTests
{
    // The clock starts a day early: a FakeTimeProvider only moves forward, and tests step up to the edges.
    private readonly FakeTimeProvider time = Clock(Noon.AddDays(-1));
    private readonly DateTime start = Noon;
    private readonly DateTime end = Noon.AddDays(2);

    private void MoveTo(DateTime utc) => time.SetUtcNow(new DateTimeOffset(utc, TimeSpan.Zero));

    private RuleOutcome At(DateTime occurredAt) =>
        Evaluate(Purchase(at: occurredAt), Rule(1, RuleEffect.Fixed(10), startsAt: start, endsAt: end)).Single();

    [Fact]
    public void Campaign_ExactlyAtStart_Fires()
    {
        MoveTo(start);
        Assert.True(At(time.Now()).Fired);
    }

    [Fact]
    public void Campaign_OneTickBeforeStart_DoesNotFire()
    {
        MoveTo(start.AddTicks(-1));
        var outcome = At(time.Now());
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.OutsideWindow, outcome.Code);
        Assert.Equal("not fired: outside campaign window [2025-03-05T12:00:00Z, 2025-03-07T12:00:00Z)", outcome.Reason);
    }

    [Fact]
    public void Campaign_OneTickBeforeEnd_Fires()
    {
        MoveTo(start);
        time.Advance(end - start - TimeSpan.FromTicks(1));
        Assert.True(At(time.Now()).Fired);
    }

    [Fact]
    public void Campaign_ExactlyAtEnd_DoesNotFire()
    {
        MoveTo(start);
        time.Advance(end - start);
        Assert.Equal(RuleOutcomeCode.OutsideWindow, At(time.Now()).Code);
    }

    [Fact]
    public void Campaign_IsJudgedByTheEventTimeNotTheWallClock()
    {
        MoveTo(start.AddHours(1));
        var occurredAt = time.Now();
        time.Advance(TimeSpan.FromDays(30)); // processed long after the campaign ended
        Assert.True(At(occurredAt).Fired);
    }

    [Fact]
    public void Campaign_WithOnlyAStart_RunsOpenEnded()
    {
        var rule = Rule(1, RuleEffect.Fixed(10), startsAt: start);
        Assert.False(Evaluate(Purchase(at: start.AddTicks(-1)), rule).Single().Fired);
        Assert.True(Evaluate(Purchase(at: start.AddYears(10)), rule).Single().Fired);
        Assert.Equal("not fired: outside campaign window [2025-03-05T12:00:00Z, open)", Evaluate(Purchase(at: start.AddTicks(-1)), rule).Single().Reason);
    }

    [Fact]
    public void Campaign_WithOnlyAnEnd_RunsUntilIt()
    {
        var rule = Rule(1, RuleEffect.Fixed(10), endsAt: end);
        Assert.True(Evaluate(Purchase(at: end.AddYears(-10)), rule).Single().Fired);
        Assert.False(Evaluate(Purchase(at: end), rule).Single().Fired);
    }

    [Fact]
    public void DoublePointsThisWeekend_DoublesOnlyInsideTheLocalWeekend()
    {
        // The weekend of 8-9 March 2025 in Berlin, stored in UTC as every window is.
        var saturday = TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, 3, 8), Berlin);
        var monday = TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, 3, 10), Berlin);
        EarningRule[] rules = [Rule(1, RuleEffect.PerCurrencyUnit(1)), Rule(2, RuleEffect.Multiplier(2), startsAt: saturday, endsAt: monday)];
        MoveTo(saturday);

        Assert.Equal(100, RuleEvaluator.Evaluate(Purchase(amount: 5000, at: time.Now()), rules, RuleUsage.None, Berlin).TotalPoints);
        time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromTicks(1));
        Assert.Equal(100, RuleEvaluator.Evaluate(Purchase(amount: 5000, at: time.Now()), rules, RuleUsage.None, Berlin).TotalPoints);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(50, RuleEvaluator.Evaluate(Purchase(amount: 5000, at: time.Now()), rules, RuleUsage.None, Berlin).TotalPoints);
    }

    [Fact]
    public void WindowLoadedWithUnspecifiedKind_IsReadAsUtc()
    {
        // SQLite gives DateTime values back without a kind.
        var rule = Rule(1, RuleEffect.Fixed(10), startsAt: DateTime.SpecifyKind(start, DateTimeKind.Unspecified));
        Assert.True(Evaluate(Purchase(at: DateTime.SpecifyKind(start, DateTimeKind.Unspecified)), rule).Single().Fired);
    }

    [Fact]
    public void EventWithALocalTime_IsRejected() =>
        Assert.Throws<ArgumentException>(() => Evaluate(Purchase(at: new DateTime(2025, 3, 5, 12, 0, 0, DateTimeKind.Local)), Rule(1, RuleEffect.Fixed(1))));
}
