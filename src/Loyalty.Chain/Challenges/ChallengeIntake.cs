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
    internal Dictionary<(long ChallengeId, long MemberId, string Period), ChallengeProgress> Rows { get; } = [];
    /// <summary>Completions per (challenge, member), loaded only for challenges with a cap.</summary>
    internal Dictionary<(long ChallengeId, long MemberId), int> Totals { get; } = [];
    internal Dictionary<long, IReadOnlyDictionary<string, string>> Attributes { get; } = [];
    internal HashSet<long> Loaded { get; } = [];
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

    /// <summary>After an event's savepoint was rolled back: its member's rows are read again when next needed.</summary>
    internal void Forget(ChallengeBatch batch, long memberId)
    {
        batch.Loaded.Remove(memberId);
        foreach (var key in batch.Rows.Keys.Where(k => k.MemberId == memberId).ToList()) batch.Rows.Remove(key);
        foreach (var key in batch.Totals.Keys.Where(k => k.MemberId == memberId).ToList()) batch.Totals.Remove(key);
    }

    private async Task LoadMembersAsync(ChallengeBatch batch, List<long> memberIds, CancellationToken ct)
    {
        var ids = batch.Challenges.Select(c => c.Id).ToList();
        foreach (var row in await db.Set<ChallengeProgress>().AsNoTracking()
                     .Where(p => ids.Contains(p.ChallengeId) && memberIds.Contains(p.MemberId) && batch.Periods.Contains(p.Period)).ToListAsync(ct))
            batch.Rows[(row.ChallengeId, row.MemberId, row.Period)] = row;
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
            var state = ProgressState.Parse(progress?.State, challenge.Steps.Count);
            if (!ChallengeLogic.Apply(challenge.Steps, challenge.Ordered, state, facts, zone)) continue;

            var isNew = progress is null;
            progress ??= new ChallengeProgress { ProgramId = batch.Program.Id, ChallengeId = challenge.Id, MemberId = member.Id, Period = period };
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
            progress.State = state.Serialize();
            progress.UpdatedAt = now;
            if (isNew)
            {
                db.Set<ChallengeProgress>().Add(progress);
                batch.Rows[key] = progress;
            }
            else db.Set<ChallengeProgress>().Update(progress);
        }
        // No SaveChanges of its own: the batch writer saves this event's rows once, after every hook (one round trip less per event).
    }
}
