namespace Loyalty.Chain.Earning;

/// <summary>Why a rule did or did not fire, for code (the <see cref="RuleOutcome.Reason"/> is for people).</summary>
public enum RuleOutcomeCode
{
    /// <summary>Awarded what its effect computed.</summary>
    Fired,
    /// <summary>Awarded less than its effect computed: a limit left only part of it.</summary>
    Clipped,
    Inactive,
    OutsideWindow,
    /// <summary>The rule fails <see cref="EarningRule.Validate"/>; it is skipped rather than failing the event.</summary>
    InvalidRule,
    ConditionNotMet,
    /// <summary>An earlier exclusive rule of the same phase fired.</summary>
    Blocked,
    /// <summary>The effect computed 0 points (no amount, rounding, nothing to multiply).</summary>
    NoPoints,
    /// <summary>A limit had nothing left.</summary>
    LimitReached,
}

/// <summary>One rule's result for one event. <see cref="Points"/> is 0 unless <see cref="Fired"/>.</summary>
public sealed record RuleOutcome(long RuleId, string RuleName, bool Fired, long Points, string Reason)
{
    public RuleOutcomeCode Code { get; init; }
}

/// <summary>
/// The result of <see cref="RuleEvaluator.Evaluate"/>: every rule whose trigger matched, in evaluation
/// order (base rules by priority, then multipliers by priority), with the points it awarded and why.
/// </summary>
public sealed class RuleEvaluation
{
    public RuleEvaluation(long basePoints, long totalPoints, IReadOnlyList<RuleOutcome> outcomes)
    {
        BasePoints = basePoints;
        TotalPoints = totalPoints;
        Outcomes = outcomes;
    }

    /// <summary>What the Fixed and PerCurrencyUnit rules awarded: the figure multipliers work on.</summary>
    public long BasePoints { get; }

    public long TotalPoints { get; }
    public IReadOnlyList<RuleOutcome> Outcomes { get; }

    /// <summary>The award rows to store with the ledger entry, so limits and budgets see them next time.</summary>
    public IEnumerable<RuleAward> ToAwards(long programId, long memberId, long eventId, DateTime awardedAt) =>
        Outcomes.Where(o => o.Fired).Select(o => new RuleAward
        {
            ProgramId = programId,
            RuleId = o.RuleId,
            MemberId = memberId,
            EventId = eventId,
            Points = o.Points,
            AwardedAt = awardedAt,
        });
}
