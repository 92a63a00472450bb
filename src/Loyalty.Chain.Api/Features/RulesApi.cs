using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Earning rules and campaigns (a campaign is a rule with a time window).</summary>
public static class RulesApi
{
    public sealed record RuleRequest(string? Name, string? Trigger, RuleConditions? Conditions, RuleEffect? Effect, RuleLimits? Limits,
        int? Priority, RuleStacking? Stacking, DateTime? StartsAt, DateTime? EndsAt, bool? Active);

    public sealed record RuleView(long Id, string Name, string Trigger, RuleConditions Conditions, RuleEffect Effect, RuleLimits Limits,
        int Priority, RuleStacking Stacking, DateTime? StartsAt, DateTime? EndsAt, bool Active, bool IsCampaign, DateTime CreatedAt);

    /// <summary>"Try an event": the event as a shop would send it (its memberId names the member), optionally with an
    /// unsaved draft rule that replaces rule <paramref name="DraftRuleId"/> (or is added when that is null).</summary>
    public sealed record DryRunRequest(Intake.EventRequest? Event, RuleRequest? Draft, long? DraftRuleId);

    public static RouteGroupBuilder MapRules(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/rules").WithTags("Rules");
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("rules");
        group.MapPut("/{ruleId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("rule-update");
        group.MapDelete("/{ruleId:long}", DeactivateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("rule-deactivate");
        // Writes nothing, so it takes no Idempotency-Key (like coupon validation): the same body always gives the same answer.
        group.MapPost("/dry-run", DryRunAsync).RequireProgramRole(ApiRole.Admin);
        return group;
    }

    private static async Task<Ok<List<RuleView>>> ListAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var rules = await db.Set<EarningRule>().AsNoTracking().Where(r => r.ProgramId == programId).OrderBy(r => r.Priority).ThenBy(r => r.Id).ToListAsync(ct);
        return TypedResults.Ok(rules.Select(View).ToList());
    }

    private static async Task<Created<RuleView>> CreateAsync(HttpContext http, RuleRequest request, LoyaltyDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var rule = new EarningRule { ProgramId = http.Program().Id, CreatedAt = time.GetUtcNow().UtcDateTime };
        Apply(rule, request);
        await EnsureAudiencesAsync(http, rule, ct);
        db.Set<EarningRule>().Add(rule);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/programs/{rule.ProgramId}/rules/{rule.Id}", View(rule));
    }

    private static async Task<Results<Ok<RuleView>, NotFound>> UpdateAsync(HttpContext http, long ruleId, RuleRequest request,
        LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var rule = await db.Set<EarningRule>().SingleOrDefaultAsync(r => r.Id == ruleId && r.ProgramId == programId, ct);
        if (rule is null) return TypedResults.NotFound();
        // An offer's rule carries the offer's audience and window: replaced here, its conditions would lose the audience
        // and the bonus would pay every member. It changes through its offer.
        if (await db.Set<Offers.Offer>().Where(o => o.ProgramId == programId && o.RuleId == ruleId).Select(o => (long?)o.Id).FirstOrDefaultAsync(ct) is { } offerId)
            throw new LoyaltyException("OFFER_RULE", $"rule {ruleId} belongs to offer {offerId}: change it with PATCH /offers/{offerId}", 409);
        Apply(rule, request);
        await EnsureAudiencesAsync(http, rule, ct);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(rule));
    }

    /// <summary>Rules are deactivated, not deleted: past awards keep pointing at them.</summary>
    private static async Task<Results<NoContent, NotFound>> DeactivateAsync(HttpContext http, long ruleId, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var changed = await db.Set<EarningRule>().Where(r => r.Id == ruleId && r.ProgramId == programId)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Active, false), ct);
        return changed == 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    /// <summary>Which rules would fire for the event and why, on the member's real facts and usage; nothing is stored.</summary>
    private static async Task<Ok<Intake.RuleDryRunResult>> DryRunAsync(HttpContext http, DryRunRequest request, LoyaltyDbContext db,
        Intake.RuleDryRun dryRun, CancellationToken ct)
    {
        var program = http.Program();
        if (request.Event is null) throw new LoyaltyException("INVALID_EVENT", "event is required: the event to try, as POST /events takes it");
        EarningRule? draft = null;
        if (request.Draft is not null)
        {
            if (request.DraftRuleId is { } id && !await db.Set<EarningRule>().AnyAsync(r => r.Id == id && r.ProgramId == program.Id, ct))
                throw new LoyaltyException("UNKNOWN_RULE", $"no rule {id} in this program", StatusCodes.Status404NotFound);
            draft = new EarningRule { Id = request.DraftRuleId ?? 0, ProgramId = program.Id };
            Apply(draft, request.Draft);
            await EnsureAudiencesAsync(http, draft, ct);
        }
        return TypedResults.Ok(await dryRun.RunAsync(program, request.Event, draft, ct));
    }

    internal static void Apply(EarningRule rule, RuleRequest r)
    {
        rule.Name = r.Name?.Trim() ?? "";
        rule.Trigger = r.Trigger?.Trim().ToLowerInvariant() ?? "";
        rule.Conditions = r.Conditions ?? new RuleConditions();
        rule.Effect = r.Effect ?? new RuleEffect();
        rule.Limits = r.Limits ?? new RuleLimits();
        rule.Priority = r.Priority ?? 100;
        rule.Stacking = r.Stacking ?? RuleStacking.Stack;
        rule.StartsAt = r.StartsAt?.ToUniversalTime();
        rule.EndsAt = r.EndsAt?.ToUniversalTime();
        rule.Active = r.Active ?? true;
        var errors = rule.Validate();
        if (rule.Name.Length > 200) errors = [.. errors, "Name is at most 200 characters."];
        if (errors.Count > 0) throw new LoyaltyException("INVALID_RULE", string.Join(" ", errors));
    }

    /// <summary>Segments a rule names must exist (issue 13); offerId belongs to the rules offers create.</summary>
    private static async Task EnsureAudiencesAsync(HttpContext http, EarningRule rule, CancellationToken ct)
    {
        if (rule.Conditions.OfferId is not null) throw new LoyaltyException("INVALID_RULE", "offerId is set by offers only; create a bonus_rule offer");
        await http.RequestServices.GetRequiredService<Segments.SegmentService>().EnsureExistAsync(rule.ProgramId, rule.Conditions.Segments, ct);
    }

    internal static RuleView View(EarningRule r) => new(r.Id, r.Name, r.Trigger, r.Conditions, r.Effect, r.Limits, r.Priority, r.Stacking,
        r.StartsAt, r.EndsAt, r.Active, r.IsCampaign, r.CreatedAt);
}
