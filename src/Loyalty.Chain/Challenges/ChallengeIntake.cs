using Loyalty.Chain.Earning;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Challenges;

/// <summary>What one intake batch loaded for one program's challenges; null when no active challenge's window holds any event.</summary>
public sealed class ChallengeBatch
{
    internal ChallengeBatch(LoyaltyProgram program, List<Challenge> challenges, List<string> periods) =>
        (Program, Challenges, Periods) = (program, challenges, periods);

    internal LoyaltyProgram Program { get; }
    internal List<Challenge> Challenges { get; }
    internal List<string> Periods { get; }
    /// <summary>Progress rows as committed or as this batch left them (not tracked: <see cref="ChallengeIntake.FlushAsync"/> writes them).</summary>
    internal Dictionary<(long ChallengeId, long MemberId, string Period), ChallengeProgress> Rows { get; } = [];
    /// <summary>The parsed state of each row the batch has read, so an event neither parses nor serializes JSON.</summary>
    internal Dictionary<(long ChallengeId, long MemberId, string Period), ProgressState> States { get; } = [];
    /// <summary>Rows an event of the batch changed: written once each, at the end of the batch.</summary>
    internal HashSet<(long ChallengeId, long MemberId, string Period)> Dirty { get; } = [];
    /// <summary>What the current event changed, to put back should its savepoint be rolled back.</summary>
    internal List<Undo> Pending { get; } = [];
    /// <summary>Completions per (challenge, member), loaded only for challenges with a cap.</summary>
    internal Dictionary<(long ChallengeId, long MemberId), int> Totals { get; } = [];
    internal Dictionary<long, IReadOnlyDictionary<string, string>> Attributes { get; } = [];
    internal HashSet<long> Loaded { get; } = [];

    /// <summary>One row as it was before the current event touched it (Row null: the event created it).</summary>
    internal sealed record Undo((long, long, string) Key, ChallengeProgress? Row, ProgressState? State, bool WasDirty, int? Total);
}

/// <summary>
/// Challenge progress in the intake transaction. Once per batch and program: the active challenges whose window holds
/// an event of the batch (one query; nothing more when there is none), then the batch members' progress rows of the
/// periods concerned. Per event: the pure <see cref="ChallengeLogic"/>, and on completion a <see cref="ChallengeCompletion"/>
/// plus its <see cref="ChallengeAward"/> outbox row in the event's transaction. A return neither counts nor undoes progress.
/// </summary>
public sealed class ChallengeIntake(LoyaltyDbContext db, TimeProvider time)
{
    internal async Task<ChallengeBatch?> LoadBatchAsync(LoyaltyProgram program, IReadOnlyList<(DateTime At, string Type, long MemberId)> events,
        CancellationToken ct)
    {
        var counting = events.Where(e => e.Type != EventIntakeService.Return).ToList();
        if (counting.Count == 0) return null;
        DateTime min = counting.Min(e => e.At), max = counting.Max(e => e.At);
        var challenges = await db.Set<Challenge>().AsNoTracking()
            .Where(c => c.ProgramId == program.Id && c.Active && c.StartsAt <= max && (c.EndsAt == null || c.EndsAt > min)).ToListAsync(ct);
        if (challenges.Count == 0) return null;
        var periods = challenges.SelectMany(c => counting.Select(e => ChallengeLogic.PeriodOf(c.Repeat, e.At, program.Zone))).Distinct().ToList();
        var batch = new ChallengeBatch(program, challenges, periods);
        await LoadMembersAsync(batch, counting.Select(e => e.MemberId).Distinct().ToList(), ct);
        return batch;
    }

    /// <summary>The current event is saved (its savepoint released): what it changed stays, to be written by <see cref="FlushAsync"/>.</summary>
    internal static void Accept(ChallengeBatch batch) => batch.Pending.Clear();

    /// <summary>
    /// After the current event's savepoint was rolled back: its progress changes are put back as they were before it (its
    /// completion and award rows went with the savepoint). Earlier events' changes, not yet written, stay.
    /// </summary>
    internal static void Undo(ChallengeBatch batch)
    {
        for (var i = batch.Pending.Count - 1; i >= 0; i--)
        {
            var undo = batch.Pending[i];
            if (undo.Row is null)
            {
                batch.Rows.Remove(undo.Key);
                batch.States.Remove(undo.Key);
            }
            else
            {
                batch.Rows[undo.Key] = undo.Row;
                batch.States[undo.Key] = undo.State!;
            }
            if (!undo.WasDirty) batch.Dirty.Remove(undo.Key);
            var totalKey = (undo.Key.Item1, undo.Key.Item2);
            if (undo.Total is { } total) batch.Totals[totalKey] = total;
            else batch.Totals.Remove(totalKey);
        }
        batch.Pending.Clear();
    }

    /// <summary>
    /// Writes every progress row the batch's events changed: one row per member, challenge and period however many of its
    /// events counted, in one SaveChanges (one batched command), inside the batch's transaction before it commits. The rows
    /// are read after the members' locks, so no other writer changes them in between.
    /// </summary>
    internal async Task FlushAsync(ChallengeBatch batch, CancellationToken ct)
    {
        if (batch.Dirty.Count == 0) return;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var key in batch.Dirty)
        {
            var row = batch.Rows[key];
            row.State = batch.States[key].Serialize();
            row.UpdatedAt = now;
            if (row.Id == 0) db.Set<ChallengeProgress>().Add(row);
            else db.Set<ChallengeProgress>().Update(row);
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
        batch.Dirty.Clear();
    }

    private async Task LoadMembersAsync(ChallengeBatch batch, List<long> memberIds, CancellationToken ct)
    {
        var ids = batch.Challenges.Select(c => c.Id).ToList();
        foreach (var row in await db.Set<ChallengeProgress>().AsNoTracking()
                     .Where(p => ids.Contains(p.ChallengeId) && memberIds.Contains(p.MemberId) && batch.Periods.Contains(p.Period)).ToListAsync(ct))
        {
            batch.Rows[(row.ChallengeId, row.MemberId, row.Period)] = row;
            batch.States[(row.ChallengeId, row.MemberId, row.Period)] = ProgressState.Parse(row.State, StepsOf(batch, row.ChallengeId));
        }
        var capped = batch.Challenges.Where(c => c.MaxCompletionsPerMember is not null).Select(c => c.Id).ToList();
        if (capped.Count > 0)
        {
            foreach (var total in await db.Set<ChallengeCompletion>().AsNoTracking()
                         .Where(x => capped.Contains(x.ChallengeId) && memberIds.Contains(x.MemberId))
                         .GroupBy(x => new { x.ChallengeId, x.MemberId }).Select(g => new { g.Key.ChallengeId, g.Key.MemberId, Count = g.Count() })
                         .ToListAsync(ct))
                batch.Totals[(total.ChallengeId, total.MemberId)] = total.Count;
        }
        if (batch.Challenges.Any(c => c.Steps.Any(s => s.Conditions.Attributes is { Count: > 0 })))
        {
            foreach (var profile in await db.Set<MemberProfile>().AsNoTracking().Where(p => memberIds.Contains(p.MemberId)).ToListAsync(ct))
                batch.Attributes[profile.MemberId] = profile.Attributes;
        }
        batch.Loaded.UnionWith(memberIds);
    }

    /// <summary>Counts one accepted event (its row saved, its points decided) towards the member's challenges.</summary>
    internal async Task OnEventAsync(ChallengeBatch batch, Member member, ParsedEvent e, LoyaltyEvent row, CancellationToken ct)
    {
        if (e.Type == EventIntakeService.Return) return;
        var zone = batch.Program.Zone;
        var relevant = batch.Challenges.Where(c => c.Contains(e.OccurredAt)
                                                   && c.Steps.Any(s => string.Equals(s.EventType, e.Type, StringComparison.OrdinalIgnoreCase))).ToList();
        if (relevant.Count == 0) return;
        if (!batch.Loaded.Contains(member.Id)) await LoadMembersAsync(batch, [member.Id], ct);
        var facts = new EarningEvent
        {
            Type = e.Type, Amount = e.Amount, Currency = e.Currency, OccurredAt = e.OccurredAt, Lines = e.Lines, MemberTier = member.Tier,
            MemberAttributes = batch.Attributes.GetValueOrDefault(member.Id) ?? new Dictionary<string, string>(),
        };
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var challenge in relevant)
        {
            var total = batch.Totals.GetValueOrDefault((challenge.Id, member.Id));
            if (challenge.MaxCompletionsPerMember is { } max && total >= max) continue;
            var period = ChallengeLogic.PeriodOf(challenge.Repeat, e.OccurredAt, zone);
            var key = (challenge.Id, member.Id, period);
            var progress = batch.Rows.GetValueOrDefault(key);
            if (progress is { Completed: true }) continue;
            var before = progress is null ? null : batch.States[key];
            // Applied to a copy: the batch's state changes only once the event counted, and the copy before it is the undo.
            var state = before?.Clone() ?? ProgressState.Fresh(challenge.Steps.Count);
            if (!ChallengeLogic.Apply(challenge.Steps, challenge.Ordered, state, facts, zone)) continue;

            // The row object in the batch is never changed in place: the one before this event is its undo.
            batch.Pending.Add(new ChallengeBatch.Undo(key, progress, before, batch.Dirty.Contains(key),
                batch.Totals.TryGetValue((challenge.Id, member.Id), out var had) ? had : null));
            progress = progress is null
                ? new ChallengeProgress { ProgramId = batch.Program.Id, ChallengeId = challenge.Id, MemberId = member.Id, Period = period }
                : Copy(progress);
            if (ChallengeLogic.IsComplete(challenge.Steps, state))
            {
                var completion = new ChallengeCompletion
                {
                    ProgramId = batch.Program.Id, ChallengeId = challenge.Id, MemberId = member.Id, Period = period, Sequence = progress.Sequence,
                    EventId = row.Id, CompletedAt = e.OccurredAt, CreatedAt = now,
                };
                db.Set<ChallengeCompletion>().Add(completion);
                await db.SaveChangesAsync(ct);
                // The outbox row, in the same transaction: the award job carries it out exactly once.
                db.Set<ChallengeAward>().Add(new ChallengeAward
                {
                    ProgramId = batch.Program.Id, ChallengeId = challenge.Id, MemberId = member.Id, CompletionId = completion.Id,
                    Points = challenge.RewardPoints, DropId = challenge.RewardDropId, Status = ChallengeAwardStatus.Pending, CreatedAt = now,
                });
                batch.Totals[(challenge.Id, member.Id)] = ++total;
                // Only a non-repeating challenge with a cap above one starts over in the same "period"; others are done for it.
                if (challenge.Repeat == ChallengeRepeat.None && challenge.MaxCompletionsPerMember is { } cap && total < cap)
                {
                    progress.Sequence++;
                    state = ProgressState.Fresh(challenge.Steps.Count);
                }
                else progress.Completed = true;
            }
            batch.Rows[key] = progress;
            batch.States[key] = state;
            batch.Dirty.Add(key);
        }
        // Progress is written by FlushAsync once per batch; a completion's rows are saved with the event's other rows.
    }

    private static int StepsOf(ChallengeBatch batch, long challengeId) =>
        batch.Challenges.FirstOrDefault(c => c.Id == challengeId)?.Steps.Count ?? 0;

    private static ChallengeProgress Copy(ChallengeProgress p) => new()
    {
        Id = p.Id, ProgramId = p.ProgramId, ChallengeId = p.ChallengeId, MemberId = p.MemberId, Period = p.Period, Sequence = p.Sequence,
        State = p.State, Completed = p.Completed, UpdatedAt = p.UpdatedAt,
    };
}
