using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Collectibles;

/// <summary>
/// Awards badges (soulbound drops) when an accepted event meets a <see cref="BadgeRule"/>. Called by intake
/// inside its database transaction, on the same DbContext, after the event row is saved: it only adds
/// <see cref="DropMint"/> rows (saved, not committed), so the badge and the event commit or roll back
/// together. One badge per member per drop; a sold-out or closed badge is skipped, never failing the event.
/// </summary>
public sealed class BadgeAwarder(LoyaltyDbContext db, DropGrants grants, ILogger<BadgeAwarder> logger)
{
    /// <summary>Evaluates the program's badge rules for the event just accepted; returns how many badges were queued.</summary>
    public async Task<int> OnEventAcceptedAsync(LoyaltyProgram program, long memberId, string eventType, CancellationToken ct)
    {
        var type = eventType.Trim().ToLowerInvariant();
        var rules = await db.Set<BadgeRule>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Active && (r.Trigger == null || r.Trigger == type)).OrderBy(r => r.Id).ToListAsync(ct);
        if (rules.Count == 0) return 0;
        var dropIds = rules.Select(r => r.DropId).Distinct().ToList();
        var held = await db.Set<DropMint>().Where(m => m.MemberId == memberId && dropIds.Contains(m.DropId)).Select(m => m.DropId).ToListAsync(ct);
        rules = rules.Where(r => !held.Contains(r.DropId)).ToList();
        if (rules.Count == 0) return 0;

        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == memberId, ct);
        var facts = new Facts(db, program, member, type);
        var drops = await db.Set<Drop>().AsNoTracking().Where(d => dropIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, ct);
        var awarded = new HashSet<long>();
        foreach (var rule in rules)
        {
            if (awarded.Contains(rule.DropId) || !drops.TryGetValue(rule.DropId, out var drop)) continue;
            if (!await MetAsync(rule, facts, ct)) continue;
            var (mint, refusal) = await grants.TryQueueAsync(drop, memberId, DropGrants.BadgeSource, $"badge rule {rule.Id}: {rule.Name}", ct);
            if (mint is null)
            {
                logger.LogWarning("Badge rule {RuleId} met by member {MemberId} but not awarded: {Code}", rule.Id, memberId, refusal?.Code);
                continue;
            }
            awarded.Add(rule.DropId);
            logger.LogInformation("Badge rule {RuleId} awarded drop {DropId} to member {MemberId}", rule.Id, rule.DropId, memberId);
        }
        return awarded.Count;
    }

    private static async Task<bool> MetAsync(BadgeRule rule, Facts facts, CancellationToken ct)
    {
        var met = rule.Kind switch
        {
            BadgeKind.FirstEvent => await facts.EventCountAsync(ct) >= 1,
            BadgeKind.NthEvent => await facts.EventCountAsync(ct) >= rule.Count,
            BadgeKind.TierReached => string.Equals(facts.Member.Tier?.Trim(), rule.Tier?.Trim(), StringComparison.OrdinalIgnoreCase),
            BadgeKind.PointsReached => await facts.LifetimeEarnedAsync(ct) >= rule.Points,
            _ => false,
        };
        if (!met || IsEmpty(rule.Conditions)) return met;
        // Extra conditions go through the earning engine itself, as a one-point rule on the accepted event.
        var e = await facts.EarningEventAsync(ct);
        if (e is null) return false;
        var probe = new EarningRule
        {
            Id = rule.Id, ProgramId = rule.ProgramId, Name = rule.Name, Trigger = e.Type, Conditions = rule.Conditions,
            Effect = new RuleEffect { Kind = RuleEffectKind.Fixed, Points = 1 },
        };
        return RuleEvaluator.Evaluate(e, [probe], RuleUsage.None, facts.Program.Zone).Outcomes.Single().Fired;
    }

    private static bool IsEmpty(RuleConditions c) => CollectibleJson.Serialize(c) == CollectibleJson.Serialize(new RuleConditions());

    /// <summary>What rules look at, each read once and only when a rule needs it.</summary>
    private sealed class Facts(LoyaltyDbContext db, LoyaltyProgram program, Member member, string type)
    {
        private int? count;
        private long? lifetime;
        private EarningEvent? earningEvent;

        public LoyaltyProgram Program => program;
        public Member Member => member;

        /// <summary>Events of this type, the one being accepted included (saved by intake, or still only added).</summary>
        public async Task<int> EventCountAsync(CancellationToken ct)
        {
            if (count is { } c) return c;
            var saved = await db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == program.Id && e.MemberId == member.Id && e.Type == type, ct);
            var unsaved = db.ChangeTracker.Entries<LoyaltyEvent>()
                .Count(e => e.State == EntityState.Added && e.Entity.MemberId == member.Id && e.Entity.Type == type);
            return (count = saved + unsaved).Value;
        }

        public async Task<long> LifetimeEarnedAsync(CancellationToken ct) => lifetime ??=
            await db.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == member.Id).Select(b => b.LifetimeEarned).SingleOrDefaultAsync(ct);

        public async Task<EarningEvent?> EarningEventAsync(CancellationToken ct)
        {
            if (earningEvent is not null) return earningEvent;
            var row = Tracked().FirstOrDefault()
                      ?? await db.Set<LoyaltyEvent>().AsNoTracking().Where(e => e.ProgramId == program.Id && e.MemberId == member.Id && e.Type == type)
                          .OrderByDescending(e => e.Id).FirstOrDefaultAsync(ct);
            if (row is null) return null;
            var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
            return earningEvent = new EarningEvent
            {
                Type = row.Type, Amount = row.Amount, Currency = row.Currency, OccurredAt = DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc),
                MemberTier = member.Tier, MemberAttributes = profile?.Attributes ?? new Dictionary<string, string>(),
            };

            // Intake's own row for the event being accepted, when this context tracks it.
            IEnumerable<LoyaltyEvent> Tracked() => db.ChangeTracker.Entries<LoyaltyEvent>()
                .Where(e => e.State != EntityState.Deleted && e.Entity.MemberId == member.Id && e.Entity.Type == type)
                .Select(e => e.Entity).OrderByDescending(e => e.Id);
        }
    }
}
