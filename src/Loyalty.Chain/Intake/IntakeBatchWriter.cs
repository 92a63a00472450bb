using System.Text.Json;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Loyalty.Chain.Intake;

/// <summary>How one event of a batch ended, before the batch commits.</summary>
internal readonly record struct IntakeOutcome(IntakeOutcomeKind Kind, IntakeResponse? Response = null, Exception? Error = null)
{
    public static IntakeOutcome Done(IntakeResponse response) => new(IntakeOutcomeKind.Done, response);
    public static IntakeOutcome Failed(Exception error) => new(IntakeOutcomeKind.Failed, Error: error);
    public static IntakeOutcome Later(Exception? why = null) => new(IntakeOutcomeKind.Later, Error: why);
}

internal enum IntakeOutcomeKind
{
    /// <summary>Written (or found already written): the response stands once the batch commits.</summary>
    Done,
    /// <summary>Refused; its savepoint was rolled back, so it changed nothing.</summary>
    Failed,
    /// <summary>
    /// Collides with another event of this batch, or lost a race on a unique index: it goes into the next batch,
    /// which reads the winner's committed result and answers it as a replay, as a sequential intake would.
    /// </summary>
    Later,
}

/// <summary>
/// Writes one batch of accepted events in ONE database transaction (group commit), on its own scope and context.
/// Each event gets a savepoint, so a refused event rolls back alone and the others commit. Work that does not
/// depend on the single event is done once per batch: the committed replays, the members, their row locks (in
/// member id order, so two instances sharing PostgreSQL cannot deadlock on them), the active rules, profiles,
/// rule usage and whether any badge rule could react.
/// </summary>
internal sealed class IntakeBatchWriter(LoyaltyDbContext db, LedgerWriter ledger, RuleUsageQuery usage, MaturationService maturation,
    SqliteWriteGate gate, BadgeAwarder badges, Redemption.PointRetirement retirement, Tiers.TierService tiers, Segments.IntakeAudiences audiences, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<IntakeLimitsOptions> limits, Referrals.ReferralIntake referrals,
    Challenges.ChallengeIntake challenges)
{
    private const string Savepoint = "intake_event";

    /// <summary>
    /// Writes <paramref name="items"/> and commits. Returns one outcome per item (same order). Throws when the
    /// batch as a whole failed (transaction, commit, or a transient conflict): then nothing was committed and
    /// no outcome stands.
    /// </summary>
    public async Task<IntakeOutcome[]> WriteAsync(IReadOnlyList<IntakeItem> items, CancellationToken ct)
    {
        var outcomes = new IntakeOutcome[items.Count];
        // Each event has its own savepoint; EF's automatic one around every SaveChanges would only add round trips.
        db.Database.AutoSavepointsEnabled = false;
        using var writer = await gate.EnterAsync(db, ct);
        if (db.IsSqlite)
        {
            // SQLite keeps what a savepoint may have to undo in a sub-journal, a temp file once past 64 KiB: with a
            // savepoint per event that was a disk write per page touched. In memory it is lost only with the
            // transaction itself, which is uncommitted then anyway; durability rests on the WAL alone.
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA temp_store = MEMORY", ct);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        var batch = new BatchState();
        foreach (var group in items.Select((item, index) => (item, index)).GroupBy(x => x.item.Program.Id))
            await LoadCommittedAsync(group.Key, group.Select(x => x.item).ToList(), batch, ct);

        // Claims of the events this batch writes: a second claim of the same key or event waits for the next batch.
        var keys = new HashSet<(long, string)>();
        var events = new HashSet<(long, string, string)>();
        var toWrite = new List<(int Index, Member Member)>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var (program, e) = (item.Program, item.Event);
            try
            {
                if (item.Idempotency is { } key && batch.Records.TryGetValue((program.Id, key.Key), out var record))
                {
                    outcomes[i] = IntakeOutcome.Done(EventIntakeService.Replay(record, key.Hash));
                    continue;
                }
                if (batch.Events.TryGetValue((program.Id, e.Type, e.EventId), out var existing))
                {
                    outcomes[i] = IntakeOutcome.Done(await ExistingAsync(existing, e, ct));
                    continue;
                }
            }
            catch (LoyaltyException refused)
            {
                outcomes[i] = IntakeOutcome.Failed(refused);
                continue;
            }
            if (!batch.Members.TryGetValue((program.Id, e.MemberId), out var member))
            {
                outcomes[i] = IntakeOutcome.Failed(new LoyaltyException("UNKNOWN_MEMBER", $"no member '{e.MemberId}' in this program", 404));
                continue;
            }
            // Pause and block as committed, read in this transaction (the cached program may be seconds old).
            if (batch.Paused.Contains(program.Id) || member.BlockedAt is not null)
            {
                outcomes[i] = IntakeOutcome.Failed(batch.Paused.Contains(program.Id)
                    ? new LoyaltyException("PROGRAM_PAUSED", "the program is paused: no earning until it is resumed", 409)
                    : new LoyaltyException("MEMBER_BLOCKED", $"the member is blocked: {member.BlockedReason}", 403));
                continue;
            }
            if (batch.Sunsetting.Contains(program.Id))
            {
                outcomes[i] = IntakeOutcome.Failed(Sunset.SunsetService.EarningRefused());
                continue;
            }
            if ((item.Idempotency is { } claimed && keys.Contains((program.Id, claimed.Key))) || events.Contains((program.Id, e.Type, e.EventId)))
            {
                outcomes[i] = IntakeOutcome.Later();
                continue;
            }
            if (item.Idempotency is { } taken) keys.Add((program.Id, taken.Key));
            events.Add((program.Id, e.Type, e.EventId));
            toWrite.Add((i, member));
        }
        if (toWrite.Count == 0)
        {
            await tx.RollbackAsync(ct);
            return outcomes;
        }

        // Events by member (stable: one member's events keep their order, so a return follows its purchase).
        toWrite = toWrite.OrderBy(x => x.Member.Id).ToList();
        foreach (var memberId in toWrite.Select(x => x.Member.Id).Distinct())
            await ledger.LockMemberAsync(memberId, ct);
        // Read after the locks: on PostgreSQL, usage and balances are then what other instances committed.
        foreach (var group in toWrite.GroupBy(x => items[x.Index].Program.Id))
            await LoadForWritingAsync(items[group.First().Index].Program, group.Select(x => (items[x.Index].Event, x.Member)).ToList(), batch, ct);

        foreach (var (index, member) in toWrite)
        {
            var item = items[index];
            await tx.CreateSavepointAsync(Savepoint, ct);
            try
            {
                var (response, awards) = await WriteOneAsync(item, member, batch, ct);
                await tx.ReleaseSavepointAsync(Savepoint, ct);
                if (batch.Challenges.GetValueOrDefault(item.Program.Id) is { } accepted) Challenges.ChallengeIntake.Accept(accepted);
                if (awards.Count > 0) batch.Tallies.GetValueOrDefault(item.Program.Id)?.Record(awards);
                outcomes[index] = IntakeOutcome.Done(response);
            }
            // A deadlock or serialization failure aborts the whole transaction: the batch is then retried event by event
            // (IntakeCommitQueue) rather than rolled back to a savepoint.
            catch (Exception error) when (error is not OperationCanceledException && !WriteTransactions.IsRetryable(error))
            {
                // Only this event is undone. Should the rollback itself fail, the batch fails and is retried event by event.
                await tx.RollbackToSavepointAsync(Savepoint, ct);
                await tx.ReleaseSavepointAsync(Savepoint, ct);
                if (batch.Tiers.GetValueOrDefault(item.Program.Id) is { } tierBatch) await tiers.ForgetAsync(tierBatch, member, ct);
                // Challenges: this event's progress changes are put back (earlier events' stay, written at the end of the batch).
                if (batch.Challenges.GetValueOrDefault(item.Program.Id) is { } challengeBatch) Challenges.ChallengeIntake.Undo(challengeBatch);
                // A unique index refused the row: a concurrent writer (another instance) committed the same key or event.
                outcomes[index] = error is DbUpdateException ? IntakeOutcome.Later(error) : IntakeOutcome.Failed(error);
            }
            finally
            {
                // Every row of this event is either saved or rolled back: nothing is left for the next one to save.
                db.ChangeTracker.Clear();
            }
        }
        // Challenge progress: one row write per member, challenge and period for the whole batch. Should it fail, the batch
        // fails as a whole (nothing committed) and is retried event by event, like a failed commit.
        foreach (var challengeBatch in batch.Challenges.Values.OfType<Challenges.ChallengeBatch>()) await challenges.FlushAsync(challengeBatch, ct);
        // Once the commit starts it is not cancelled: callers learn the outcome it really had.
        await tx.CommitAsync(CancellationToken.None);
        return outcomes;
    }

    /// <summary>Committed idempotency records, events and members the batch refers to: three queries per program.</summary>
    private async Task LoadCommittedAsync(long programId, List<IntakeItem> items, BatchState batch, CancellationToken ct)
    {
        var keys = items.Where(i => i.Idempotency is not null).Select(i => i.Idempotency!.Key).Distinct().ToList();
        if (keys.Count > 0)
        {
            foreach (var record in await db.Set<IdempotencyRecord>().AsNoTracking()
                         .Where(r => r.ProgramId == programId && r.Scope == EventIntakeService.IdempotencyScope && keys.Contains(r.Key)).ToListAsync(ct))
                batch.Records[(programId, record.Key)] = record;
        }
        // By type, so the lookup uses the (program, type, external id) index.
        foreach (var type in items.GroupBy(i => i.Event.Type))
        {
            var ids = type.Select(i => i.Event.EventId).Distinct().ToList();
            foreach (var row in await db.Set<LoyaltyEvent>().AsNoTracking()
                         .Where(x => x.ProgramId == programId && x.Type == type.Key && ids.Contains(x.ExternalId)).ToListAsync(ct))
                batch.Events[(programId, row.Type, row.ExternalId)] = row;
        }
        if (await db.Set<LoyaltyProgram>().AnyAsync(p => p.Id == programId && (p.Status == ProgramStatus.Paused || p.Status == ProgramStatus.Resuming), ct))
            batch.Paused.Add(programId);
        if (await db.Set<Sunset.ProgramSunset>().AnyAsync(s => s.ProgramId == programId, ct))
            batch.Sunsetting.Add(programId);
        var externalIds = items.Select(i => i.Event.MemberId).Distinct().ToList();
        foreach (var member in await db.Set<Member>().AsNoTracking()
                     .Where(m => m.ProgramId == programId && externalIds.Contains(m.ExternalId)).ToListAsync(ct))
            batch.Members[(programId, member.ExternalId)] = member;
    }

    /// <summary>Active rules, profiles, rule usage and badge triggers for the events of one program about to be written.</summary>
    private async Task LoadForWritingAsync(LoyaltyProgram program, List<(ParsedEvent Event, Member Member)> events, BatchState batch,
        CancellationToken ct)
    {
        var types = events.Select(x => x.Event.Type).Where(t => t != EventIntakeService.Return).Distinct().ToList();
        var rules = types.Count == 0 ? [] : await db.Set<EarningRule>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Active && types.Contains(r.Trigger)).ToListAsync(ct);
        foreach (var type in types)
            batch.Rules[(program.Id, type)] = rules.Where(r => string.Equals(r.Trigger, type, StringComparison.Ordinal)).ToList();

        var earning = events.Where(x => batch.Rules.TryGetValue((program.Id, x.Event.Type), out var r) && r.Count > 0).ToList();
        if (earning.Count > 0)
        {
            var memberIds = earning.Select(x => x.Member.Id).Distinct().ToList();
            foreach (var profile in await db.Set<MemberProfile>().AsNoTracking().Where(p => memberIds.Contains(p.MemberId)).ToListAsync(ct))
                batch.Profiles[profile.MemberId] = profile;
            batch.Tallies[program.Id] = await usage.LoadTallyAsync(program.Id, memberIds, rules, earning.Select(x => x.Event.OccurredAt),
                program.Zone, ct);
            // Segments/offers (issue 13): memberships for the segments and offer lists these rules name; null (no query) when none.
            batch.Audiences[program.Id] = await audiences.LoadAsync(program, rules, memberIds, ct);
        }

        // Badge rules are few and rarely change; knowing none can react spares the awarder's queries on every event.
        var triggers = await db.Set<BadgeRule>().AsNoTracking().Where(r => r.ProgramId == program.Id && r.Active)
            .Select(r => r.Trigger).Distinct().ToListAsync(ct);
        batch.BadgeTriggers[program.Id] = triggers;
        batch.Tiers[program.Id] = await tiers.LoadBatchAsync(program, events.Select(x => x.Member.Id).Distinct().ToList(), ct);
        // Referrals: the batch members' open referrals, one query (null when there are none).
        batch.Referrals[program.Id] = await referrals.LoadBatchAsync(program, events.Select(x => x.Member.Id).Distinct().ToList(), ct);
        // Challenges: active ones whose window holds an event of the batch, and these members' progress (null: none, no more queries).
        batch.Challenges[program.Id] = await challenges.LoadBatchAsync(program, events.Select(x => (x.Event.OccurredAt, x.Event.Type, x.Member.Id)).ToList(), ct);
    }

    private async Task<(IntakeResponse Response, List<RuleAward> Awards)> WriteOneAsync(IntakeItem item, Member member, BatchState batch,
        CancellationToken ct)
    {
        var (program, e) = (item.Program, item.Event);
        // To the microsecond: availableAt in the answer is then exactly what PostgreSQL stores and later reads return.
        var now = StoredTime.Of(time.GetUtcNow().UtcDateTime);
        var row = new LoyaltyEvent
        {
            ProgramId = program.Id, MemberId = member.Id, Type = e.Type, ExternalId = e.EventId, Amount = e.Amount,
            Currency = e.Currency, OccurredAt = e.OccurredAt, ReceivedAt = now,
        };
        db.Set<LoyaltyEvent>().Add(row);

        IntakeResponse response;
        List<RuleAward> awards = [];
        if (e.Type == EventIntakeService.Return) response = await ReturnAsync(program, member, row, e, batch.Tiers[program.Id], now, ct,
            batch.Referrals.GetValueOrDefault(program.Id));
        else
        {
            (response, awards) = await EarnAsync(program, member, row, e, now, batch, ct);
            // What was bought, per category, for behaviour over time (segments, recommendations); the event row is saved by now.
            if (e.Lines.Count > 0) db.Set<EventCategory>().AddRange(EventCategory.For(program.Id, member.Id, row.Id, e.OccurredAt, e.Lines));
        }
        // Challenges: progress (and any completion with its award outbox row) in this event's transaction.
        if (batch.Challenges.GetValueOrDefault(program.Id) is { } challengeBatch) await challenges.OnEventAsync(challengeBatch, member, e, row, ct);
        // Badges (soulbound drops awarded by rules) are decided in the same transaction as the event.
        var triggers = batch.BadgeTriggers[program.Id];
        if (triggers.Contains(null) || triggers.Contains(e.Type)) await badges.OnEventAcceptedAsync(program, member.Id, e.Type, ct);

        if (item.Idempotency is { } key)
            db.Set<IdempotencyRecord>().Add(IdempotencyStore.NewRecord(key, 201, JsonSerializer.Serialize(response, IntakeResponse.Json), now));
        await db.SaveChangesAsync(ct);
        return (response, awards);
    }

    private async Task<(IntakeResponse, List<RuleAward>)> EarnAsync(LoyaltyProgram program, Member member, LoyaltyEvent row, ParsedEvent e,
        DateTime now, BatchState batch, CancellationToken ct)
    {
        var rules = batch.Rules[(program.Id, e.Type)];
        var profile = batch.Profiles.GetValueOrDefault(member.Id);
        var earning = new EarningEvent
        {
            Type = e.Type, Amount = e.Amount, Currency = e.Currency, OccurredAt = e.OccurredAt, Lines = e.Lines,
            MemberTier = member.Tier, MemberAttributes = profile?.Attributes ?? new Dictionary<string, string>(),
            // Segments/offers (issue 13): as of the batch's start.
            MemberSegments = batch.Audiences.GetValueOrDefault(program.Id)?.SegmentsOf(member.Id),
            MemberOffers = batch.Audiences.GetValueOrDefault(program.Id)?.OffersOf(member.Id),
        };
        // Loaded once for the batch, plus what earlier events of the batch awarded: what a fresh query would see.
        var snapshot = rules.Count == 0 ? RuleUsage.None : batch.Tallies[program.Id].For(member.Id, e.OccurredAt);
        RuleEvaluation evaluation;
        try
        {
            evaluation = RuleEvaluator.Evaluate(earning, rules, snapshot, program.Zone);
        }
        catch (OverflowException overflow)
        {
            // The rules, not the caller, are at fault, but the caller must learn it and nothing may be half-written.
            throw new LoyaltyException("AWARD_TOO_LARGE", overflow.Message, 422);
        }
        // The effective tier's multiplier works on what the rules gave, as its own line (not a rule award).
        var awarded = evaluation;
        var tierBatch = batch.Tiers[program.Id];
        if (tierBatch is not null)
        {
            try { evaluation = Tiers.TierEvaluator.WithMultiplier(evaluation, member.Tier, Tiers.TierService.MultiplierPercent(tierBatch, member)).Evaluation; }
            catch (OverflowException overflow) { throw new LoyaltyException("AWARD_TOO_LARGE", overflow.Message, 422); }
        }
        await CheckPointCapsAsync(member.Id, evaluation.TotalPoints, ct);
        row.Points = evaluation.TotalPoints;
        row.Evaluation = JsonSerializer.Serialize(evaluation.Outcomes.Select(RuleView.From), IntakeResponse.Json);
        await db.SaveChangesAsync(ct);
        var awards = awarded.ToAwards(program.Id, member.Id, row.Id, e.OccurredAt).ToList();
        db.Set<RuleAward>().AddRange(awards);

        string status = "none";
        DateTime? availableAt = null;
        if (evaluation.TotalPoints > 0)
        {
            var pending = program.PendingPeriod > TimeSpan.Zero;
            var accrual = new Accrual
            {
                ProgramId = program.Id, MemberId = member.Id, EventId = row.Id, Points = evaluation.TotalPoints,
                MaturesAt = StoredTime.Of(now + program.PendingPeriod), Status = pending ? AccrualStatus.Pending : AccrualStatus.Matured,
            };
            db.Set<Accrual>().Add(accrual);
            if (pending)
            {
                await db.SaveChangesAsync(ct);
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Earn, LedgerAccount.Issuance, LedgerAccount.Pending,
                    evaluation.TotalPoints, new LedgerWriter.Refs(row.Id, accrual.Id), ct);
                status = "pending";
                availableAt = accrual.MaturesAt;
            }
            else
            {
                // No return window: available at once and queued for minting in this same transaction.
                var intent = maturation.Queue(program.Id, member.Id, member.WalletAddress, evaluation.TotalPoints, now);
                await db.SaveChangesAsync(ct);
                accrual.MintIntentId = intent.Id;
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Earn, LedgerAccount.Issuance, LedgerAccount.Available,
                    evaluation.TotalPoints, new LedgerWriter.Refs(row.Id, accrual.Id, intent.Id), ct);
                status = "available";
                availableAt = now;
            }
        }
        // Upgrades at once, in this event's transaction (before the badge rules look at the tier).
        if (tierBatch is not null) await tiers.OnEarnedAsync(tierBatch, member, e.Type, e.Amount, e.OccurredAt, evaluation.TotalPoints, now, ct);
        // Referrals: the referee's first qualifying purchase qualifies the referral.
        if (batch.Referrals.GetValueOrDefault(program.Id) is { } referralBatch) await referrals.OnEarnedAsync(referralBatch, program, member.Id, row.Id, e.Type, e.Amount, now, ct);
        var response = new IntakeResponse(row.Id, e.Type, e.EventId, e.MemberId, evaluation.TotalPoints.ToString(), status, availableAt,
            evaluation.Outcomes.Select(RuleView.From).ToList(), "0", "0") { Tier = member.Tier };
        return (response, awards);
    }

    /// <summary>Refuses (in this event's savepoint) an award over the per-event cap or one that takes the member's balance over theirs.</summary>
    private async Task CheckPointCapsAsync(long memberId, long points, CancellationToken ct)
    {
        if (points <= 0) return;
        var caps = limits.Value;
        if (points > caps.MaxPointsPerEvent)
            throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", $"this event would award {points} points; at most {caps.MaxPointsPerEvent} per event", 422);
        // Read inside the batch's transaction, after the member's lock: earlier events of the batch are included.
        var held = await ledger.HeldAsync(memberId, ct);
        if (held + points > caps.MaxPointsPerMember)
            throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", $"a member holds at most {caps.MaxPointsPerMember} points; this one holds {held}", 422);
    }

    private async Task<IntakeResponse> ReturnAsync(LoyaltyProgram program, Member member, LoyaltyEvent row, ParsedEvent e, Tiers.TierBatch? tierBatch,
        DateTime now, CancellationToken ct, Referrals.ReferralBatch? referralBatch = null)
    {
        var purchase = await db.Set<LoyaltyEvent>().SingleOrDefaultAsync(x => x.ProgramId == program.Id && x.Type == EventIntakeService.Purchase
                                                                              && x.ExternalId == e.OrderId, ct)
                       ?? throw new LoyaltyException("UNKNOWN_ORDER", $"no purchase '{e.OrderId}' in this program", 404);
        if (purchase.MemberId != member.Id) throw new LoyaltyException("ORDER_MEMBER_MISMATCH", "the order belongs to another member", 409);
        var open = (purchase.Amount ?? 0) - purchase.Refunded;
        var refund = e.Amount ?? open;
        if (refund <= 0 || refund > open)
            throw new LoyaltyException("INVALID_REFUND", $"refund must be between 0.01 and the {Currencies.Format(open, program.Currency)} not yet returned", 422);

        // Cumulative proportional clawback: partial returns add up exactly to a full return.
        var total = purchase.Amount ?? 0;
        long Owed(long refunded) => total == 0 ? purchase.Points : (long)(new System.Numerics.BigInteger(purchase.Points) * refunded / total);
        var target = Owed(purchase.Refunded + refund) - Owed(purchase.Refunded);
        purchase.Refunded += refund;
        row.RelatedEventId = purchase.Id;

        var accrual = await db.Set<Accrual>().SingleOrDefaultAsync(a => a.EventId == purchase.Id, ct);
        long clawed = 0;
        if (accrual is { Status: AccrualStatus.Pending } && target > 0)
        {
            clawed = Math.Min(target, accrual.Remaining);
            accrual.ClawedBack += clawed;
            if (accrual.Remaining == 0) accrual.Status = AccrualStatus.Reversed;
            await db.SaveChangesAsync(ct);
            if (clawed > 0)
            {
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Clawback, LedgerAccount.Pending, LedgerAccount.Issuance, clawed,
                    new LedgerWriter.Refs(row.Id, accrual.Id, Note: $"return of order {e.OrderId}"), ct);
            }
        }
        // After the return window the points are available (or spent): the program's policy keeps them or claws them back from
        // what is available now, cancelled before minting or burned like a deduction; what the member no longer has is recorded.
        var unrecovered = target - clawed;
        if (unrecovered > 0 && program.ReturnPolicy == ReturnPolicy.Clawback)
        {
            await db.SaveChangesAsync(ct);
            var ownLot = accrual is null ? null : await db.Set<PointLot>().Where(l => l.AccrualId == accrual.Id).Select(l => (long?)l.Id).FirstOrDefaultAsync(ct);
            var result = await retirement.RetireAsync(program, member.Id, unrecovered, Redemption.RedemptionKind.Clawback, $"return:{row.Id}",
                $"return of order {e.OrderId} after the return window", ct, preferLotId: ownLot);
            clawed += result.Retired;
            unrecovered = result.Shortfall;
        }
        row.Points = -clawed;
        row.Unrecovered = unrecovered;
        await db.SaveChangesAsync(ct);
        if (tierBatch is not null) await tiers.OnReturnedAsync(tierBatch, member, purchase.OccurredAt, refund, clawed, now, ct);
        // Referrals: a return in the window that leaves the qualifying purchase no longer qualifying refuses the referral.
        if (referralBatch is not null) await referrals.OnReturnedAsync(referralBatch, member.Id, purchase, now, ct);
        return new IntakeResponse(row.Id, EventIntakeService.Return, e.EventId, e.MemberId, (-clawed).ToString(), clawed > 0 ? "clawed_back" : "none",
            null, [], clawed.ToString(), unrecovered.ToString());
    }

    /// <summary>The answer for an event already committed under the same type and external id.</summary>
    private async Task<IntakeResponse> ExistingAsync(LoyaltyEvent row, ParsedEvent e, CancellationToken ct)
    {
        var rules = JsonSerializer.Deserialize<List<RuleView>>(row.Evaluation, IntakeResponse.Json) ?? [];
        var accrual = await db.Set<Accrual>().AsNoTracking().SingleOrDefaultAsync(a => a.EventId == row.Id, ct);
        var status = row.Type == EventIntakeService.Return ? (row.Points < 0 ? "clawed_back" : "none")
            : accrual is null ? "none" : accrual.Status == AccrualStatus.Pending ? "pending" : "available";
        return new IntakeResponse(row.Id, row.Type, row.ExternalId, e.MemberId, row.Points.ToString(), status, accrual?.MaturesAt,
            rules, row.Type == EventIntakeService.Return ? (-row.Points).ToString() : "0", row.Unrecovered.ToString()) { Replayed = true };
    }

    /// <summary>What the batch loaded once and every event of it reuses.</summary>
    private sealed class BatchState
    {
        public Dictionary<(long ProgramId, string Key), IdempotencyRecord> Records { get; } = [];
        public Dictionary<(long ProgramId, string Type, string ExternalId), LoyaltyEvent> Events { get; } = [];
        public Dictionary<(long ProgramId, string ExternalId), Member> Members { get; } = [];
        public Dictionary<(long ProgramId, string Type), List<EarningRule>> Rules { get; } = [];
        public Dictionary<long, MemberProfile> Profiles { get; } = [];
        public Dictionary<long, RuleUsageTally> Tallies { get; } = [];
        public Dictionary<long, List<string?>> BadgeTriggers { get; } = [];
        public Dictionary<long, Tiers.TierBatch?> Tiers { get; } = [];
        public Dictionary<long, Segments.AudienceFacts?> Audiences { get; } = [];
        public HashSet<long> Paused { get; } = [];
        public HashSet<long> Sunsetting { get; } = [];
        public Dictionary<long, Referrals.ReferralBatch?> Referrals { get; } = [];
        public Dictionary<long, Challenges.ChallengeBatch?> Challenges { get; } = [];
    }
}
