using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Challenges;

public sealed record StepProgressView(string Name, string EventType, int Required, int Done, bool DistinctDays, bool Complete);
public sealed record StreakView(int Current, int Best);
public sealed record AwardView(long Id, string Period, string Status, string Points, long? DropId, string? TokenId, string? MintStatus, string? Error,
    DateTime CreatedAt, DateTime? AwardedAt);
public sealed record MemberChallengeView(long Id, string Name, bool Ordered, ChallengeRepeat Repeat, string Period, IReadOnlyList<StepProgressView> Steps,
    bool Completed, int Completions, StreakView? Streak, ChallengeRewardView Reward, IReadOnlyList<AwardView> Awards);

/// <summary>A member's progress in each active challenge of the program, for the current period (by the program's zone).</summary>
public sealed class MemberChallenges(LoyaltyDbContext db, TimeProvider time)
{
    public async Task<List<MemberChallengeView>> ForMemberAsync(LoyaltyProgram program, Member member, CancellationToken ct)
    {
        var challenges = await db.Set<Challenge>().AsNoTracking().Where(c => c.ProgramId == program.Id && c.Active).OrderBy(c => c.Id).ToListAsync(ct);
        if (challenges.Count == 0) return [];
        var ids = challenges.Select(c => c.Id).ToList();
        var progress = await db.Set<ChallengeProgress>().AsNoTracking().Where(p => p.MemberId == member.Id && ids.Contains(p.ChallengeId)).ToListAsync(ct);
        var completions = await db.Set<ChallengeCompletion>().AsNoTracking().Where(x => x.MemberId == member.Id && ids.Contains(x.ChallengeId))
            .ToListAsync(ct);
        var awards = await (from a in db.Set<ChallengeAward>().AsNoTracking()
                            join x in db.Set<ChallengeCompletion>() on a.CompletionId equals x.Id
                            join m in db.Set<DropMint>() on a.DropMintId equals (long?)m.Id into mints
                            from m in mints.DefaultIfEmpty()
                            where a.MemberId == member.Id && ids.Contains(a.ChallengeId)
                            orderby a.Id
                            select new { a, x.Period, Mint = m }).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var views = new List<MemberChallengeView>();
        foreach (var c in challenges)
        {
            var period = ChallengeLogic.PeriodOf(c.Repeat, now, program.Zone);
            var row = progress.FirstOrDefault(p => p.ChallengeId == c.Id && p.Period == period);
            var state = ProgressState.Parse(row?.State, c.Steps.Count);
            var mine = completions.Where(x => x.ChallengeId == c.Id).ToList();
            var capped = c.MaxCompletionsPerMember is { } max && mine.Count >= max;
            var steps = c.Steps.Select((s, k) => new StepProgressView(s.Name, s.EventType, s.Count, Math.Min(state.Steps[k].Done, s.Count),
                s.DistinctDays, state.Steps[k].Done >= s.Count)).ToList();
            var streak = c.Repeat == ChallengeRepeat.None ? null
                : ChallengeLogic.StreakOf(c.Repeat, mine.Select(x => x.Period), period) is var s2 ? new StreakView(s2.Current, s2.Best) : null;
            views.Add(new MemberChallengeView(c.Id, c.Name, c.Ordered, c.Repeat, period, steps, row is { Completed: true } || capped, mine.Count, streak,
                new ChallengeRewardView(c.RewardPoints.ToString(), c.RewardDropId),
                awards.Where(a => a.a.ChallengeId == c.Id).Select(a => new AwardView(a.a.Id, a.Period, a.a.Status.ToString(), a.a.Points.ToString(),
                    a.a.DropId, a.Mint?.TokenId?.ToString(), a.Mint?.Status.ToString(), a.a.Error, a.a.CreatedAt, a.a.AwardedAt)).ToList()));
        }
        return views;
    }
}
