using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Tiers;

public sealed record TierStatusView(string? Current, DateTime? Since, string Source, string? Next, string? Metric, string? Value,
    string? NextThreshold, string? Remaining, DateOnly? By);

public sealed record TierChangeView(long Id, string? From, string? To, string Reason, DateTime At);

/// <summary>
/// Tier policy, evaluation and state around the pure <see cref="TierEvaluator"/>. <c>Member.Tier</c> stays the
/// effective tier name every other part reads; this service is the only writer of it once a program has a policy.
/// </summary>
public sealed class TierService(LoyaltyDbContext db, LedgerWriter ledger, TimeProvider time)
{
    public async Task<TierPolicy?> GetPolicyAsync(long programId, CancellationToken ct) =>
        await db.Set<TierPolicy>().AsNoTracking().SingleOrDefaultAsync(p => p.ProgramId == programId, ct);

    /// <summary>
    /// Replaces the program's policy and levels, rebuilds the monthly buckets from the event log (the qualifying
    /// types may have changed) and re-evaluates every member in the same transaction: upgrades at once, levels that no
    /// longer exist are dropped, downgrades wait for the period end. PATCH /programs can delegate here.
    /// </summary>
    public async Task<TierPolicyView> SetPolicyAsync(long programId, TierPolicyRequest request, CancellationToken ct)
    {
        var policy = TierPolicyValidator.Validate(programId, request);
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, c);
            var now = time.GetUtcNow().UtcDateTime;
            policy.UpdatedAt = now;
            var existing = await db.Set<TierPolicy>().SingleOrDefaultAsync(p => p.ProgramId == programId, c);
            var windowChanged = existing is null || existing.Window != policy.Window || existing.WindowMonths != policy.WindowMonths
                                || existing.Downgrade != policy.Downgrade;
            if (existing is null) db.Add(policy);
            else db.Entry(existing).CurrentValues.SetValues(policy);
            await db.SaveChangesAsync(c);

            var buckets = await RebuildBucketsAsync(policy, program.Zone, c);
            var members = await db.Set<Member>().Where(m => m.ProgramId == programId).ToListAsync(c);
            var states = await db.Set<MemberTierState>().Where(s => s.ProgramId == programId).ToDictionaryAsync(s => s.MemberId, c);
            foreach (var member in members)
            {
                if (!states.TryGetValue(member.Id, out var state)) db.Add(state = NewState(policy, member, now, program.Zone, legacy: true));
                if (TierEvaluator.Rank(policy, state.Earned) < 0) (state.Earned, state.Legacy, state.PeriodEnd, state.GraceUntil) = (null, false, null, null);
                if (TierEvaluator.Rank(policy, state.Invited) is var i && (i < 0 || !policy.Levels[i].InvitationOnly)) (state.Invited, state.InvitedSince) = (null, null);
                if (TierEvaluator.Rank(policy, state.Purchased) < 0) (state.Purchased, state.PurchasedSince, state.PurchasedUntil) = (null, null, null);
                var mine = buckets.GetValueOrDefault(member.Id) ?? [];
                var upgraded = TierEvaluator.Upgrade(policy, state, mine, now, program.Zone);
                if (!upgraded && windowChanged && state.Earned is not null) (state.PeriodEnd, state.GraceUntil) = (TierEvaluator.PeriodEnd(policy, now, program.Zone), null);
                var previous = member.Tier;
                if (Settle(policy, state, now) is { } to)
                {
                    member.Tier = to.Name;
                    Record(programId, member.Id, previous, to.Name, upgraded ? "qualified" : "policy_changed", now);
                }
            }
            await db.SaveChangesAsync(c);
            return TierPolicyView.From(policy);
        }, ct);
    }

    private async Task<Dictionary<long, List<TierBucket>>> RebuildBucketsAsync(TierPolicy policy, TimeZoneInfo zone, CancellationToken ct)
    {
        await db.Set<TierBucket>().Where(b => b.ProgramId == policy.ProgramId).ExecuteDeleteAsync(ct);
        var events = await db.Set<LoyaltyEvent>().AsNoTracking().Where(e => e.ProgramId == policy.ProgramId)
            .Select(e => new { e.Id, e.MemberId, e.Type, e.OccurredAt, e.Points, e.Amount, e.Refunded, e.RelatedEventId }).ToListAsync(ct);
        var months = events.ToDictionary(e => e.Id, e => TierEvaluator.MonthKey(e.OccurredAt, zone));
        var result = new Dictionary<(long, int), TierBucket>();
        foreach (var e in events)
        {
            // A return counts against the month of the purchase it undoes, as at intake.
            var month = e.RelatedEventId is { } related && months.TryGetValue(related, out var m) ? m : months[e.Id];
            if (!result.TryGetValue((e.MemberId, month), out var b))
                result[(e.MemberId, month)] = b = new TierBucket { ProgramId = policy.ProgramId, MemberId = e.MemberId, Month = month };
            b.Points = checked(b.Points + e.Points);
            if (e.Type == "purchase") b.Spent = checked(b.Spent + (e.Amount ?? 0) - e.Refunded);
            if (TierEvaluator.Counts(policy, e.Type)) b.Events++;
        }
        db.AddRange(result.Values);
        await db.SaveChangesAsync(ct);
        return result.Values.GroupBy(b => b.MemberId).ToDictionary(g => g.Key, g => g.ToList());
    }

    /// <summary>
    /// The state of a member tiers have not seen yet. With <paramref name="legacy"/> (members enrolled before the policy
    /// existed) an enrolment tier string naming a level is kept as an earned level under the policy's period rules;
    /// for members enrolled later the computed tier replaces the enrolment string.
    /// </summary>
    private static MemberTierState NewState(TierPolicy policy, Member member, DateTime now, TimeZoneInfo zone, bool legacy = false)
    {
        var kept = legacy && TierEvaluator.Rank(policy, member.Tier) is var r and >= 0 && !policy.Levels[r].InvitationOnly ? policy.Levels[r].Name : null;
        return new MemberTierState
        {
            MemberId = member.Id, ProgramId = member.ProgramId, Earned = kept, Legacy = kept is not null, EarnedSince = kept is null ? null : now,
            PeriodEnd = kept is null ? null : TierEvaluator.PeriodEnd(policy, now, zone), Effective = member.Tier, EffectiveSince = member.CreatedAt,
        };
    }

    /// <summary>Recomputes the effective tier; returns it when it differs from what Member.Tier was set to.</summary>
    private static (string? Name, string Source)? Settle(TierPolicy policy, MemberTierState state, DateTime now)
    {
        var effective = TierEvaluator.Effective(policy, state, now);
        if (string.Equals(effective.Name, state.Effective, StringComparison.Ordinal)) return null;
        (state.Effective, state.EffectiveSince) = (effective.Name, now);
        return effective;
    }

    private void Record(long programId, long memberId, string? from, string? to, string reason, DateTime at)
    {
        db.Add(new TierChange { ProgramId = programId, MemberId = memberId, From = from, To = to, Reason = reason, At = at });
        Webhooks.PointsEvents.ForMember(db, programId, memberId, "tier.changed", m => new { programId, memberId = m, from, to, reason });
    }

    /// <summary>
    /// At enrolment, in its transaction, on the tracked new member: with a policy the member starts on the computed
    /// tier (a level with threshold 0, or none), not on the tier string of the request.
    /// </summary>
    public static async Task OnEnrolledAsync(LoyaltyDbContext db, LoyaltyProgram program, Member member, DateTime now, CancellationToken ct)
    {
        var policy = await db.Set<TierPolicy>().AsNoTracking().SingleOrDefaultAsync(p => p.ProgramId == program.Id, ct);
        if (policy is null) return;
        var state = NewState(policy, member, now, program.Zone);
        TierEvaluator.Upgrade(policy, state, [], now, program.Zone);
        db.Add(state);
        var requested = member.Tier;
        if (Settle(policy, state, now) is not { } to) return;
        member.Tier = to.Name;
        if (to.Name is not null || requested is not null)
            db.Add(new TierChange { ProgramId = program.Id, MemberId = member.Id, From = requested, To = to.Name, Reason = TierChange.Enrolled, At = now });
    }

    // ---- intake (inside the batch writer's transaction) ----

    /// <summary>Once per batch and program: null (one primary-key read) when the program has no policy.</summary>
    internal async Task<TierBatch?> LoadBatchAsync(LoyaltyProgram program, IReadOnlyCollection<long> memberIds, CancellationToken ct)
    {
        var policy = await GetPolicyAsync(program.Id, ct);
        if (policy is null) return null;
        var batch = new TierBatch(policy, program.Zone);
        foreach (var s in await db.Set<MemberTierState>().AsNoTracking().Where(s => memberIds.Contains(s.MemberId)).ToListAsync(ct))
            batch.States[s.MemberId] = s;
        foreach (var id in memberIds) batch.Buckets[id] = [];
        foreach (var b in await db.Set<TierBucket>().AsNoTracking().Where(b => memberIds.Contains(b.MemberId)).ToListAsync(ct))
            batch.Buckets[b.MemberId].Add(b);
        return batch;
    }

    /// <summary>The multiplier of the member's effective tier before this event.</summary>
    internal static int MultiplierPercent(TierBatch batch, Member member) => TierEvaluator.MultiplierPercent(batch.Policy, member.Tier);

    /// <summary>
    /// After an earning event: adds it to its month's bucket, grants a paid membership, and upgrades at once.
    /// Member.Tier and a change row are written in the event's transaction; returns the new tier when it changed.
    /// </summary>
    internal async Task<(bool Changed, string? Tier)> OnEarnedAsync(TierBatch batch, Member member, string type, long? amount, DateTime occurredAt,
        long points, DateTime now, CancellationToken ct)
    {
        var p = batch.Policy;
        await AddToBucketAsync(batch, member, TierEvaluator.MonthKey(occurredAt, batch.Zone), points,
            type == "purchase" ? amount ?? 0 : 0, TierEvaluator.Counts(p, type) ? 1 : 0, ct);
        var state = StateFor(batch, member, now);
        string reason = "qualified";
        if (p.Levels.FindIndex(l => l.MembershipEventType == type) is var m and >= 0)
        {
            var level = p.Levels[m];
            var extend = string.Equals(state.Purchased, level.Name, StringComparison.OrdinalIgnoreCase) && state.PurchasedUntil > now;
            if (extend || TierEvaluator.Rank(p, state.Purchased) < m || state.PurchasedUntil <= now || state.PurchasedUntil is null)
            {
                state.PurchasedUntil = (extend ? state.PurchasedUntil!.Value : now).AddMonths(level.MembershipMonths!.Value);
                if (!extend) (state.Purchased, state.PurchasedSince) = (level.Name, now);
                batch.Dirty.Add(member.Id);
                reason = "membership_purchased";
            }
        }
        var before = (state.Earned, state.PeriodEnd, state.GraceUntil);
        if (TierEvaluator.Upgrade(p, state, batch.Buckets[member.Id], now, batch.Zone) || before != (state.Earned, state.PeriodEnd, state.GraceUntil))
            batch.Dirty.Add(member.Id);
        return await FlushAsync(batch, member, reason, now, ct);
    }

    /// <summary>After a return: lowers the purchase month's points and money; downgrades wait for the period end.</summary>
    internal async Task OnReturnedAsync(TierBatch batch, Member member, DateTime purchaseOccurredAt, long refund, long clawed, DateTime now, CancellationToken ct)
    {
        await AddToBucketAsync(batch, member, TierEvaluator.MonthKey(purchaseOccurredAt, batch.Zone), -clawed, -refund, 0, ct);
        StateFor(batch, member, now);
        await FlushAsync(batch, member, "qualified", now, ct);
    }

    /// <summary>After an event of the member was rolled back to its savepoint: what the batch cached may be ahead of the database.</summary>
    internal async Task ForgetAsync(TierBatch batch, Member member, CancellationToken ct)
    {
        batch.States.Remove(member.Id);
        batch.Dirty.Remove(member.Id);
        batch.Buckets[member.Id] = await db.Set<TierBucket>().AsNoTracking().Where(b => b.MemberId == member.Id).ToListAsync(ct);
        if (await db.Set<MemberTierState>().AsNoTracking().SingleOrDefaultAsync(s => s.MemberId == member.Id, ct) is { } s) batch.States[member.Id] = s;
        member.Tier = await db.Set<Member>().AsNoTracking().Where(m => m.Id == member.Id).Select(m => m.Tier).SingleAsync(ct);
    }

    private MemberTierState StateFor(TierBatch batch, Member member, DateTime now)
    {
        if (batch.States.TryGetValue(member.Id, out var state)) return state;
        state = NewState(batch.Policy, member, now, batch.Zone);
        batch.States[member.Id] = state;
        batch.New.Add(member.Id);
        batch.Dirty.Add(member.Id);
        return state;
    }

    private async Task AddToBucketAsync(TierBatch batch, Member member, int month, long points, long spent, long events, CancellationToken ct)
    {
        if (points == 0 && spent == 0 && events == 0) return;
        var list = batch.Buckets[member.Id];
        var bucket = list.FirstOrDefault(b => b.Month == month);
        try
        {
            if (bucket is null) list.Add(bucket = new TierBucket { ProgramId = member.ProgramId, MemberId = member.Id, Month = month });
            (bucket.Points, bucket.Spent, bucket.Events) = (checked(bucket.Points + points), checked(bucket.Spent + spent), checked(bucket.Events + events));
        }
        catch (OverflowException)
        {
            throw new LoyaltyException("TIER_METRIC_OVERFLOW", "the member's tier metric would exceed its range", 422);
        }
        // One statement per event, the same on SQLite and PostgreSQL; the tracked context is cleared after every event.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "TierBuckets" ("MemberId", "Month", "ProgramId", "Points", "Spent", "Events") VALUES ({member.Id}, {month}, {member.ProgramId}, {points}, {spent}, {events})
            ON CONFLICT ("MemberId", "Month") DO UPDATE SET "Points" = "TierBuckets"."Points" + excluded."Points",
              "Spent" = "TierBuckets"."Spent" + excluded."Spent", "Events" = "TierBuckets"."Events" + excluded."Events"
            """, ct);
    }

    private async Task<(bool, string?)> FlushAsync(TierBatch batch, Member member, string reason, DateTime now, CancellationToken ct)
    {
        var state = batch.States[member.Id];
        var previous = member.Tier;
        var changed = Settle(batch.Policy, state, now);
        if (changed is null && !batch.Dirty.Contains(member.Id)) return (false, member.Tier);
        if (batch.New.Remove(member.Id)) db.Add(state);
        else db.Update(state);
        batch.Dirty.Remove(member.Id);
        if (changed is { } to)
        {
            await db.Set<Member>().Where(m => m.Id == member.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Tier, to.Name), ct);
            member.Tier = to.Name;
            Record(member.ProgramId, member.Id, previous, to.Name, reason, now);
        }
        await db.SaveChangesAsync(ct);
        return (changed is not null, member.Tier);
    }

    // ---- invitations ----

    public async Task<TierStatusView> InviteAsync(LoyaltyProgram program, Member member, string? tier, CancellationToken ct)
    {
        if (tier is null or { Length: 0 or > 64 }) throw new LoyaltyException("INVALID_TIER", "tier must be a level name of 1-64 characters");
        return await ChangeStateAsync(program, member, (p, s, now) =>
        {
            var rank = TierEvaluator.Rank(p, tier);
            if (rank < 0) throw new LoyaltyException("UNKNOWN_TIER", $"no level '{tier}' in this program's tiers", 404);
            if (!p.Levels[rank].InvitationOnly) throw new LoyaltyException("TIER_NOT_INVITATION_ONLY", $"level '{p.Levels[rank].Name}' is earned, not assigned", 422);
            (s.Invited, s.InvitedSince) = (p.Levels[rank].Name, now);
            return "invited";
        }, ct);
    }

    public Task<TierStatusView> RemoveInvitationAsync(LoyaltyProgram program, Member member, CancellationToken ct) =>
        ChangeStateAsync(program, member, (_, s, _) =>
        {
            if (s.Invited is null) throw new LoyaltyException("NOT_INVITED", "the member holds no invitation-only level", 409);
            (s.Invited, s.InvitedSince) = (null, null);
            return "invitation_removed";
        }, ct);

    private async Task<TierStatusView> ChangeStateAsync(LoyaltyProgram program, Member member, Func<TierPolicy, MemberTierState, DateTime, string> change,
        CancellationToken ct)
    {
        await db.InWriteTransactionAsync(async c =>
        {
            var policy = await GetPolicyAsync(program.Id, c) ?? throw new LoyaltyException("NO_TIER_POLICY", "this program has no tier policy", 409);
            var now = time.GetUtcNow().UtcDateTime;
            var tracked = await db.Set<Member>().SingleAsync(m => m.Id == member.Id, c);
            var state = await db.Set<MemberTierState>().SingleOrDefaultAsync(s => s.MemberId == member.Id, c);
            if (state is null) db.Add(state = NewState(policy, tracked, now, program.Zone));
            var reason = change(policy, state, now);
            var previous = tracked.Tier;
            if (Settle(policy, state, now) is { } to)
            {
                tracked.Tier = to.Name;
                Record(program.Id, member.Id, previous, to.Name, reason, now);
            }
            await db.SaveChangesAsync(c);
        }, ct);
        return await StatusAsync(program, member.Id, ct);
    }

    // ---- reads ----

    /// <summary>The member view's tier object: the effective tier, its source, and the progress to the next earned level.</summary>
    public async Task<TierStatusView> StatusAsync(LoyaltyProgram program, long memberId, CancellationToken ct)
    {
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == memberId, ct);
        var policy = await GetPolicyAsync(program.Id, ct);
        if (policy is null) return Status(null, member, null, [], time.GetUtcNow().UtcDateTime, program.Zone);
        var state = await db.Set<MemberTierState>().AsNoTracking().SingleOrDefaultAsync(s => s.MemberId == memberId, ct);
        var buckets = await db.Set<TierBucket>().AsNoTracking().Where(b => b.MemberId == memberId).ToListAsync(ct);
        return Status(policy, member, state, buckets, time.GetUtcNow().UtcDateTime, program.Zone);
    }

    /// <summary>
    /// The tier object from what was read (pure): the GET member read loads the member, its state, the policy and the
    /// buckets in one statement (<see cref="Members.MemberRead"/>) and computes it here, as <see cref="StatusAsync"/> does.
    /// </summary>
    public static TierStatusView Status(TierPolicy? policy, Member member, MemberTierState? state, IReadOnlyCollection<TierBucket> buckets,
        DateTime now, TimeZoneInfo zone)
    {
        if (policy is null) return new TierStatusView(member.Tier, null, "legacy", null, null, null, null, null, null);
        state ??= NewState(policy, member, now, zone);
        var (current, source) = TierEvaluator.Effective(policy, state, now);
        var value = TierEvaluator.Value(policy, buckets, TierEvaluator.Window(policy, now, zone));
        var rank = TierEvaluator.Rank(policy, current);
        var next = policy.Levels.Skip(rank + 1).FirstOrDefault(l => !l.InvitationOnly);
        var since = source switch { "invited" => state.InvitedSince, "purchased" => state.PurchasedSince, _ => state.EarnedSince };
        return new TierStatusView(current, since, source, next?.Name, policy.Metric, value.ToString(), next?.Threshold.ToString(),
            next is null ? null : Math.Max(0, next.Threshold - value).ToString(), next is null ? null : TierEvaluator.WindowLastDay(policy, now, zone));
    }

    public async Task<List<TierChangeView>> ChangesAsync(long programId, long memberId, long? before, int limit, CancellationToken ct)
    {
        var query = db.Set<TierChange>().AsNoTracking().Where(c => c.ProgramId == programId && c.MemberId == memberId);
        if (before is not null) query = query.Where(c => c.Id < before);
        return await query.OrderByDescending(c => c.Id).Take(limit).Select(c => new TierChangeView(c.Id, c.From, c.To, c.Reason, c.At)).ToListAsync(ct);
    }

    // ---- period ends (the tier job) ----

    /// <summary>One program's due work: ended memberships, period ends and grace ends. Returns how many effective tiers changed.</summary>
    /// <summary>
    /// Downgrades, grace ends and memberships that ran out. Members are taken in chunks, each in its own write transaction
    /// under the members' locks (in id order, as intake takes them): a concurrent event's upgrade either commits first and is
    /// read here, or waits and reads what this wrote. A year's end that makes every member due never holds the gate long.
    /// </summary>
    public async Task<int> RunDueAsync(long programId, CancellationToken ct)
    {
        var policy = await GetPolicyAsync(programId, ct);
        if (policy is null) return 0;
        var zone = (await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, ct)).Zone;
        var now = time.GetUtcNow().UtcDateTime;
        var dueIds = await Due(db.Set<MemberTierState>().AsNoTracking(), programId, now).Select(s => s.MemberId).OrderBy(id => id).ToListAsync(ct);
        var changes = 0;
        foreach (var chunk in dueIds.Chunk(200))
        {
            changes += await db.InWriteTransactionAsync(async c =>
            {
                foreach (var id in chunk) await ledger.LockMemberAsync(id, c);
                var ids = chunk.ToList();
                var states = await Due(db.Set<MemberTierState>(), programId, now).Where(s => ids.Contains(s.MemberId)).ToListAsync(c);
                var members = await db.Set<Member>().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, c);
                var buckets = (await db.Set<TierBucket>().AsNoTracking().Where(b => ids.Contains(b.MemberId)).ToListAsync(c))
                    .GroupBy(b => b.MemberId).ToDictionary(g => g.Key, g => g.ToList());
                var n = 0;
                foreach (var state in states)
                {
                    var hadMembership = state.Purchased is not null && state.PurchasedUntil <= now;
                    var reason = TierEvaluator.Due(policy, state, buckets.GetValueOrDefault(state.MemberId) ?? [], now, zone);
                    var member = members[state.MemberId];
                    var previous = member.Tier;
                    if (Settle(policy, state, now) is not { } to) continue;
                    member.Tier = to.Name;
                    Record(programId, member.Id, previous, to.Name, reason ?? (hadMembership ? "membership_expired" : "period_end"), now);
                    n++;
                }
                await db.SaveChangesAsync(c);
                return n;
            }, ct);
            db.ChangeTracker.Clear();
        }
        return changes;
    }

    private static IQueryable<MemberTierState> Due(IQueryable<MemberTierState> states, long programId, DateTime now) =>
        states.Where(s => s.ProgramId == programId && (s.PeriodEnd <= now || s.GraceUntil <= now || s.PurchasedUntil <= now));
}

/// <summary>What one intake batch loaded for one program with a tier policy.</summary>
internal sealed class TierBatch(TierPolicy policy, TimeZoneInfo zone)
{
    public TierPolicy Policy { get; } = policy;
    public TimeZoneInfo Zone { get; } = zone;
    public Dictionary<long, MemberTierState> States { get; } = [];
    public Dictionary<long, List<TierBucket>> Buckets { get; } = [];
    public HashSet<long> New { get; } = [];
    public HashSet<long> Dirty { get; } = [];
}
