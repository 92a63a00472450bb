using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Intake;

/// <summary>What the rules would do with an event for a member: the pure engine on the member's real facts, nothing written.</summary>
public sealed record RuleDryRunResult(string MemberId, string Type, DateTime OccurredAt, string? Tier, string BasePoints, string TotalPoints,
    IReadOnlyList<RuleDryRunOutcome> Rules, RuleDryRunTierMultiplier? TierMultiplier)
{
    /// <summary>Always false: a dry run stores no event, award, accrual or ledger entry.</summary>
    public bool Written => false;
}

/// <summary>One rule's verdict, with the engine's reason and its machine code (Fired, ConditionNotMet, LimitReached...).</summary>
public sealed record RuleDryRunOutcome(long RuleId, string Name, bool Fired, string Points, string Reason, string Code, bool Draft);

/// <summary>
/// The tier multiplier intake applies after the rules (null: the program has no tier policy). <c>Points</c> is what it
/// adds (0 at 100% or when the rules gave nothing); <c>Reason</c> says which level and why.
/// </summary>
public sealed record RuleDryRunTierMultiplier(string? Tier, int Percent, string Points, string Reason);

/// <summary>
/// "Try an event" for the console's rule editor. The event is validated as intake validates it, the member's tier,
/// attributes, segment and offer memberships and rule usage (limits, budgets) are read as intake reads them, and
/// <see cref="RuleEvaluator"/> decides. Inactive rules of the trigger are included so the answer can say why they
/// do not fire; an unsaved draft rule can stand in for a stored one (or be added) to try an edit before saving it.
/// Only reads: the context is never saved.
/// </summary>
public sealed class RuleDryRun(LoyaltyDbContext db, EventIntakeService intake, MemberService members, RuleUsageQuery usage,
    Segments.IntakeAudiences audiences, Tiers.TierService tiers)
{
    public async Task<RuleDryRunResult> RunAsync(LoyaltyProgram program, EventRequest request, EarningRule? draft, CancellationToken ct)
    {
        var (memberId, parsed) = intake.ParseForDryRun(program, request);
        var member = await members.FindAsync(program.Id, memberId, ct)
                     ?? throw new LoyaltyException("UNKNOWN_MEMBER", $"no member '{memberId}' in this program", 404);
        var rules = await db.Set<EarningRule>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Trigger == parsed.Type).ToListAsync(ct);
        if (draft is not null)
        {
            rules.RemoveAll(r => r.Id == draft.Id);
            rules.Add(draft);
        }
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
        var facts = await audiences.LoadAsync(program, rules.Where(r => r.Active).ToList(), [member.Id], ct);
        var e = parsed with
        {
            MemberTier = member.Tier,
            MemberAttributes = profile?.Attributes ?? new Dictionary<string, string>(),
            MemberSegments = facts?.SegmentsOf(member.Id),
            MemberOffers = facts?.OffersOf(member.Id),
        };
        var snapshot = rules.Count == 0 ? RuleUsage.None : await usage.LoadAsync(program.Id, member.Id, rules, e.OccurredAt, program.Zone, ct);
        var policy = await tiers.GetPolicyAsync(program.Id, ct);
        RuleEvaluation evaluation;
        RuleDryRunTierMultiplier? multiplier = null;
        long total;
        try
        {
            evaluation = RuleEvaluator.Evaluate(e, rules, snapshot, program.Zone);
            total = evaluation.TotalPoints;
            if (policy is not null)
            {
                // The same step intake takes after the rules, on the member's effective tier before this event.
                var percent = Tiers.TierEvaluator.MultiplierPercent(policy, member.Tier);
                var rulesGave = evaluation.TotalPoints;
                var (multiplied, line) = Tiers.TierEvaluator.WithMultiplier(evaluation, member.Tier, percent);
                total = multiplied.TotalPoints;
                multiplier = new RuleDryRunTierMultiplier(member.Tier, percent, (line?.Points ?? 0).ToString(), line?.Reason
                    ?? (rulesGave <= 0 ? $"no points from the rules: nothing to multiply ({percent}%)"
                        : member.Tier is null ? "no tier: x1 (100%)" : $"tier {member.Tier}: x1 (100%)"));
            }
        }
        catch (OverflowException overflow)
        {
            throw new LoyaltyException("AWARD_TOO_LARGE", overflow.Message, 422);
        }
        var draftId = draft?.Id;
        return new RuleDryRunResult(member.ExternalId, e.Type, e.OccurredAt, member.Tier, evaluation.BasePoints.ToString(),
            total.ToString(),
            evaluation.Outcomes.Select(o => new RuleDryRunOutcome(o.RuleId, o.RuleName, o.Fired, o.Points.ToString(), o.Reason,
                o.Code.ToString(), o.RuleId == draftId)).ToList(), multiplier);
    }
}
