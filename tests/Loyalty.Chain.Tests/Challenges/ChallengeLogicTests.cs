using Loyalty.Chain.Challenges;
using Loyalty.Chain.Earning;

namespace Loyalty.Chain.Tests.Challenges;

public sealed class ChallengeLogicTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly DateTime Monday = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);

    private static ChallengeStep Step(string type, int count = 1, bool distinctDays = false, RuleConditions? conditions = null) =>
        new() { Name = type, EventType = type, Count = count, DistinctDays = distinctDays, Conditions = conditions ?? new RuleConditions() };

    private static EarningEvent Event(string type, DateTime at, long? amount = null, params EventLine[] lines) =>
        new() { Type = type, OccurredAt = at, Amount = amount, Currency = "EUR", Lines = lines };

    [Fact]
    public void Journey_AnEventForALaterStep_DoesNotCountUntilTheEarlierStepsAreComplete()
    {
        ChallengeStep[] steps = [Step("signup"), Step("purchase"), Step("review")];
        var state = ProgressState.Fresh(3);
        Assert.False(ChallengeLogic.Apply(steps, ordered: true, state, Event("review", Monday), Utc));
        Assert.False(ChallengeLogic.Apply(steps, ordered: true, state, Event("purchase", Monday, 100), Utc));
        Assert.True(ChallengeLogic.Apply(steps, ordered: true, state, Event("signup", Monday), Utc));
        Assert.True(ChallengeLogic.Apply(steps, ordered: true, state, Event("purchase", Monday, 100), Utc));
        Assert.False(ChallengeLogic.IsComplete(steps, state));
        Assert.True(ChallengeLogic.Apply(steps, ordered: true, state, Event("review", Monday), Utc));
        Assert.True(ChallengeLogic.IsComplete(steps, state));
        Assert.Equal([1, 1, 1], state.Steps.Select(s => s.Done));
    }

    [Fact]
    public void Unordered_StepsCountInAnyOrder_AndCountsStopAtTheRequiredCount()
    {
        ChallengeStep[] steps = [Step("signup"), Step("purchase", count: 2)];
        var state = ProgressState.Fresh(2);
        Assert.True(ChallengeLogic.Apply(steps, ordered: false, state, Event("purchase", Monday, 100), Utc));
        Assert.True(ChallengeLogic.Apply(steps, ordered: false, state, Event("purchase", Monday, 100), Utc));
        Assert.False(ChallengeLogic.Apply(steps, ordered: false, state, Event("purchase", Monday, 100), Utc));
        Assert.Equal(2, state.Steps[1].Done);
        Assert.False(ChallengeLogic.IsComplete(steps, state));
        Assert.True(ChallengeLogic.Apply(steps, ordered: false, state, Event("SIGNUP", Monday), Utc));
        Assert.True(ChallengeLogic.IsComplete(steps, state));
    }

    [Fact]
    public void DistinctDays_TwoEventsOnOneLocalDayCountOnce_TheProgramZoneDecidesTheDay()
    {
        ChallengeStep[] steps = [Step("visit", count: 3, distinctDays: true)];
        var state = ProgressState.Fresh(1);
        Assert.True(ChallengeLogic.Apply(steps, false, state, Event("visit", Monday), Utc));
        Assert.False(ChallengeLogic.Apply(steps, false, state, Event("visit", Monday.AddHours(5)), Utc));
        Assert.Equal(1, state.Steps[0].Done);

        // 23:30 UTC Monday is already Tuesday in Berlin, 00:30 UTC Tuesday too: one Berlin day.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var other = ProgressState.Fresh(1);
        Assert.True(ChallengeLogic.Apply(steps, false, other, Event("visit", new DateTime(2026, 11, 30, 23, 30, 0, DateTimeKind.Utc)), berlin));
        Assert.False(ChallengeLogic.Apply(steps, false, other, Event("visit", new DateTime(2026, 12, 1, 0, 30, 0, DateTimeKind.Utc)), berlin));
        Assert.Equal(["2026-12-01"], other.Steps[0].Days!);
    }

    [Fact]
    public void Conditions_AreTheRuleEngines_CategoryAndMinimumAmountOnMatchingLines()
    {
        ChallengeStep[] steps = [Step("purchase", conditions: new RuleConditions { Categories = ["coffee"], MinAmount = 300 })];
        var state = ProgressState.Fresh(1);
        Assert.False(ChallengeLogic.Apply(steps, false, state, Event("purchase", Monday, 1000, new EventLine(null, "tea", 1000, 1)), Utc));
        Assert.False(ChallengeLogic.Apply(steps, false, state, Event("purchase", Monday, 1000, new EventLine(null, "coffee", 250, 1)), Utc));
        Assert.True(ChallengeLogic.Apply(steps, false, state, Event("purchase", Monday, 1000, new EventLine(null, "Coffee", 350, 1)), Utc));
        Assert.False(RuleEvaluator.ConditionsHold(new RuleConditions { Currency = "USD" }, Event("purchase", Monday), Utc, out var why));
        Assert.Contains("USD", why);
    }

    [Theory]
    [InlineData(ChallengeRepeat.None, "2026-12-02T10:00:00Z", "all")]
    [InlineData(ChallengeRepeat.Daily, "2026-12-02T23:30:00Z", "2026-12-03")]
    [InlineData(ChallengeRepeat.Weekly, "2026-11-30T00:30:00Z", "2026-W49")]
    [InlineData(ChallengeRepeat.Weekly, "2026-11-29T22:30:00Z", "2026-W48")]
    [InlineData(ChallengeRepeat.Weekly, "2027-01-01T12:00:00Z", "2026-W53")]
    [InlineData(ChallengeRepeat.Monthly, "2026-12-31T23:30:00Z", "2027-01")]
    public void Periods_AreLocalToTheProgramZone_WeeksAreIsoWeeksStartingMonday(ChallengeRepeat repeat, string utc, string period)
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var at = DateTime.Parse(utc, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.Equal(period, ChallengeLogic.PeriodOf(repeat, at, berlin));
    }

    [Fact]
    public void Streak_CountsConsecutivePeriods_ACurrentPeriodNotYetDoneKeepsIt_ASkippedOneResetsIt()
    {
        Assert.Equal(new Streak(2, 2), ChallengeLogic.StreakOf(ChallengeRepeat.Weekly, ["2026-W47", "2026-W48"], "2026-W49"));
        Assert.Equal(new Streak(3, 3), ChallengeLogic.StreakOf(ChallengeRepeat.Weekly, ["2026-W47", "2026-W48", "2026-W49"], "2026-W49"));
        Assert.Equal(new Streak(0, 2), ChallengeLogic.StreakOf(ChallengeRepeat.Weekly, ["2026-W47", "2026-W48"], "2026-W50"));
        Assert.Equal(new Streak(1, 2), ChallengeLogic.StreakOf(ChallengeRepeat.Weekly, ["2026-W47", "2026-W48", "2026-W50"], "2026-W50"));
        // Across a year with 53 ISO weeks.
        Assert.Equal(new Streak(2, 2), ChallengeLogic.StreakOf(ChallengeRepeat.Weekly, ["2026-W53", "2027-W01"], "2027-W01"));
        Assert.Equal(new Streak(2, 2), ChallengeLogic.StreakOf(ChallengeRepeat.Monthly, ["2026-12", "2027-01"], "2027-02"));
        Assert.Equal(new Streak(1, 1), ChallengeLogic.StreakOf(ChallengeRepeat.Daily, ["2026-12-01", "2026-12-03"], "2026-12-03"));
    }
}
