using System.Globalization;
using System.Text.Json;
using Loyalty.Chain.Earning;

namespace Loyalty.Chain.Challenges;

/// <summary>One step's progress: events counted, and for distinct-day steps the local days (yyyy-MM-dd) they fell on.</summary>
public sealed class StepProgress
{
    public int Done { get; set; }
    public List<string>? Days { get; set; }
}

public sealed class ProgressState
{
    public List<StepProgress> Steps { get; set; } = [];

    /// <summary>A deep copy (the intake batch keeps the state before an event, to put back if the event is rolled back).</summary>
    public ProgressState Clone() => new()
    {
        Steps = Steps.Select(x => new StepProgress { Done = x.Done, Days = x.Days is null ? null : [.. x.Days] }).ToList(),
    };

    public static ProgressState Fresh(int steps) => new() { Steps = Enumerable.Range(0, steps).Select(_ => new StepProgress()).ToList() };

    public string Serialize() => JsonSerializer.Serialize(this, RuleJson.Options);

    public static ProgressState Parse(string? json, int steps)
    {
        var state = string.IsNullOrEmpty(json) ? Fresh(steps) : JsonSerializer.Deserialize<ProgressState>(json, RuleJson.Options) ?? Fresh(steps);
        while (state.Steps.Count < steps) state.Steps.Add(new StepProgress());
        return state;
    }
}

public readonly record struct Streak(int Current, int Best);

/// <summary>
/// Challenge progress, pure: no clock, no I/O. An event counts for a step when its type equals the step's event type
/// (ignoring case) and the step's rule conditions hold (<see cref="RuleEvaluator.ConditionsHold"/>). Unordered, it counts
/// for every incomplete step it matches; ordered (a journey), only for the first incomplete step. A distinct-day step
/// counts at most one event per local day. Counts stop at the required count.
/// </summary>
public static class ChallengeLogic
{
    public const string WholeWindow = "all";

    /// <summary>Advances <paramref name="state"/> by <paramref name="e"/>; true when anything counted.</summary>
    public static bool Apply(IReadOnlyList<ChallengeStep> steps, bool ordered, ProgressState state, EarningEvent e, TimeZoneInfo zone)
    {
        var changed = false;
        string? day = null;
        for (var k = 0; k < steps.Count; k++)
        {
            var (step, progress) = (steps[k], state.Steps[k]);
            if (progress.Done >= step.Count) continue;
            if (Matches(step, e, zone))
            {
                if (step.DistinctDays)
                {
                    day ??= LocalDay(e.OccurredAt, zone);
                    progress.Days ??= [];
                    if (!progress.Days.Contains(day))
                    {
                        progress.Days.Add(day);
                        progress.Done++;
                        changed = true;
                    }
                }
                else
                {
                    progress.Done++;
                    changed = true;
                }
            }
            // A journey: later steps wait until this one is complete.
            if (ordered) break;
        }
        return changed;
    }

    public static bool Matches(ChallengeStep step, EarningEvent e, TimeZoneInfo zone) =>
        string.Equals(step.EventType, e.Type?.Trim(), StringComparison.OrdinalIgnoreCase)
        && RuleEvaluator.ConditionsHold(step.Conditions, e, zone, out _);

    public static bool IsComplete(IReadOnlyList<ChallengeStep> steps, ProgressState state) =>
        steps.Select((s, k) => state.Steps[k].Done >= s.Count).All(x => x);

    public static string LocalDay(DateTime utc, TimeZoneInfo zone) =>
        Local(utc, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The period an instant falls in: "all", the local day, the ISO week ("2026-W49") or the month ("2026-12").</summary>
    public static string PeriodOf(ChallengeRepeat repeat, DateTime utc, TimeZoneInfo zone)
    {
        var local = Local(utc, zone);
        return repeat switch
        {
            ChallengeRepeat.None => WholeWindow,
            ChallengeRepeat.Daily => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ChallengeRepeat.Weekly => $"{ISOWeek.GetYear(local):D4}-W{ISOWeek.GetWeekOfYear(local):D2}",
            ChallengeRepeat.Monthly => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(repeat), repeat, null),
        };
    }

    /// <summary>A number per period such that consecutive periods differ by one.</summary>
    public static int PeriodIndex(ChallengeRepeat repeat, string period) => repeat switch
    {
        ChallengeRepeat.Daily => DateOnly.ParseExact(period, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber,
        ChallengeRepeat.Weekly => DateOnly.FromDateTime(ISOWeek.ToDateTime(int.Parse(period[..4], CultureInfo.InvariantCulture),
            int.Parse(period[6..], CultureInfo.InvariantCulture), DayOfWeek.Monday)).DayNumber / 7,
        ChallengeRepeat.Monthly => int.Parse(period[..4], CultureInfo.InvariantCulture) * 12 + int.Parse(period[5..], CultureInfo.InvariantCulture) - 1,
        _ => 0,
    };

    /// <summary>
    /// Consecutive completed periods. Current: the run ending in <paramref name="currentPeriod"/>, or in the one before it
    /// (this period may still be completed), else 0. Best: the longest run ever.
    /// </summary>
    public static Streak StreakOf(ChallengeRepeat repeat, IEnumerable<string> completedPeriods, string currentPeriod)
    {
        if (repeat == ChallengeRepeat.None) return new Streak(0, 0);
        var done = completedPeriods.Select(p => PeriodIndex(repeat, p)).ToHashSet();
        int best = 0, run = 0, previous = int.MinValue;
        foreach (var index in done.Order())
        {
            run = index == previous + 1 ? run + 1 : 1;
            best = Math.Max(best, run);
            previous = index;
        }
        var now = PeriodIndex(repeat, currentPeriod);
        var end = done.Contains(now) ? now : done.Contains(now - 1) ? now - 1 : (int?)null;
        var current = 0;
        for (var i = end; i is { } at && done.Contains(at); i = at - 1) current++;
        return new Streak(current, best);
    }

    private static DateTime Local(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
}
