using Loyalty.Chain.Earning;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>Builders for rules and events, so each test states only what it is about.</summary>
internal static class EarningTestData
{
    /// <summary>Wednesday 5 March 2025, 12:00 UTC (13:00 in Berlin).</summary>
    public static readonly DateTime Noon = new(2025, 3, 5, 12, 0, 0, DateTimeKind.Utc);

    public static TimeZoneInfo Berlin { get; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    public static TimeZoneInfo Tokyo { get; } = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    public static FakeTimeProvider Clock(DateTime? utc = null) => new(new DateTimeOffset(utc ?? Noon, TimeSpan.Zero));

    public static DateTime Now(this FakeTimeProvider time) => time.GetUtcNow().UtcDateTime;

    public static EarningRule Rule(long id, RuleEffect effect, RuleConditions? conditions = null, RuleLimits? limits = null,
        int priority = 0, RuleStacking stacking = RuleStacking.Stack, string trigger = "purchase",
        DateTime? startsAt = null, DateTime? endsAt = null, bool active = true) => new()
    {
        Id = id,
        ProgramId = 1,
        Name = "rule " + id,
        Trigger = trigger,
        Effect = effect,
        Conditions = conditions ?? new(),
        Limits = limits ?? new(),
        Priority = priority,
        Stacking = stacking,
        StartsAt = startsAt,
        EndsAt = endsAt,
        Active = active,
        CreatedAt = Noon,
    };

    public static EarningEvent Purchase(long? amount = 4990, DateTime? at = null, string? currency = "EUR",
        EventLine[]? lines = null, string? tier = null, Dictionary<string, string>? attributes = null, string type = "purchase") => new()
    {
        Type = type,
        Amount = amount,
        Currency = currency,
        OccurredAt = at ?? Noon,
        Lines = lines ?? [],
        MemberTier = tier,
        MemberAttributes = attributes ?? new Dictionary<string, string>(),
    };

    public static RuleEvaluation Evaluate(EarningEvent e, params EarningRule[] rules) =>
        RuleEvaluator.Evaluate(e, rules, RuleUsage.None, TimeZoneInfo.Utc);

    public static RuleEvaluation Evaluate(EarningEvent e, TimeZoneInfo zone, params EarningRule[] rules) =>
        RuleEvaluator.Evaluate(e, rules, RuleUsage.None, zone);

    public static RuleOutcome Single(this RuleEvaluation evaluation) => Assert.Single(evaluation.Outcomes);

    public static RuleOutcome For(this RuleEvaluation evaluation, long ruleId) => evaluation.Outcomes.Single(o => o.RuleId == ruleId);

    public static RuleUsage Usage(long ruleId, long today = 0, long month = 0, long total = 0) =>
        new(new Dictionary<long, RuleUsageEntry> { [ruleId] = new(today, month, total) });
}
