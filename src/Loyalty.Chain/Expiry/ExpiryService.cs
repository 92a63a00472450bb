using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Expiry;

/// <summary>
/// The daily expiry pass. Under the fixed policy, lots past their date expire; under inactivity, the whole available
/// balance of a member with no qualifying activity (an accepted event other than a return, or a redemption) for the
/// period. Points whose mint is still queued are cancelled before minting; points minted to the custodial wallet are
/// burned in the burn batches with the custodial signature (<see cref="PointRetirement"/>). Points of a member with a
/// self-custody wallet never expire: they are the member's own. One write transaction per member, under its lock;
/// one program's failure is its own (<see cref="JobIsolation"/>).
/// </summary>
public sealed class ExpiryService(LoyaltyDbContext db, LedgerWriter ledger, PointRetirement retirement, AlertSink alerts, TimeProvider time,
    ILogger<ExpiryService> logger)
{
    public sealed record RunResult(int Members, long Expired, long CancelledBeforeMint, long Burning)
    {
        public static readonly RunResult None = new(0, 0, 0, 0);
        public RunResult Add(RunResult o) => new(Members + o.Members, Expired + o.Expired, CancelledBeforeMint + o.CancelledBeforeMint, Burning + o.Burning);
    }

    private const int MembersPerQuery = 200;

    public async Task<RunResult> RunAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking()
            .Where(p => p.Status == ProgramStatus.Active && p.ExpiryPolicy != ExpiryPolicy.None).OrderBy(p => p.Id).ToListAsync(ct);
        var total = RunResult.None;
        foreach (var program in programs)
            total = total.Add(await alerts.ForProgramAsync(db, logger, "expiry", program.Id, () => RunProgramAsync(program, ct), ct) ?? RunResult.None);
        return total;
    }

    /// <summary>Expires everything of one program that is due now.</summary>
    public async Task<RunResult> RunProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var total = RunResult.None;
        // Burns and mints wait while a program is paused; so does what would queue them.
        await ProgramPause.EnsureNotPausedAsync(db, program.Id, ct);
        if (program.ExpiryPolicy == ExpiryPolicy.None) return total;
        // A cursor over member ids: each member is visited once per run, even one whose expiry leaves something due.
        var last = 0L;
        while (true)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var after = last;
            var due = await DueMembers(program, now).Where(id => id > after).OrderBy(id => id).Take(MembersPerQuery).ToListAsync(ct);
            if (due.Count == 0) break;
            foreach (var memberId in due)
                total = total.Add(await db.InWriteTransactionAsync(c => ExpireMemberAsync(program, memberId, c), ct));
            last = due[^1];
        }
        if (total.Expired > 0)
            logger.LogInformation("Program {ProgramId}: {Points} points of {Members} members expired ({Cancelled} before minting, {Burning} to burn)",
                program.Id, total.Expired, total.Members, total.CancelledBeforeMint, total.Burning);
        return total;
    }

    /// <summary>Custodial members of the program with something due (self-custody members' points never expire).</summary>
    private IQueryable<long> DueMembers(LoyaltyProgram program, DateTime now)
    {
        var custodial = db.Set<Member>().Where(m => m.ProgramId == program.Id && m.WalletKind == WalletKind.Custodial);
        if (program.ExpiryPolicy == ExpiryPolicy.Fixed)
            return (from l in db.Set<PointLot>()
                    join m in custodial on l.MemberId equals m.Id
                    where l.ProgramId == program.Id && l.Remaining > 0 && l.ExpiresAt != null && l.ExpiresAt <= now
                    select l.MemberId).Distinct();
        var cutoff = ExpiryRules.InactivityCutoff(program, now);
        return from m in Inactive(db, custodial, cutoff)
               join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
               where b.Available > 0
               select m.Id;
    }

    /// <summary>Members with no qualifying activity after <paramref name="cutoff"/> (enrolment counts as activity).</summary>
    internal static IQueryable<Member> Inactive(LoyaltyDbContext db, IQueryable<Member> members, DateTime cutoff) =>
        members.Where(m => m.CreatedAt <= cutoff
            && !QualifyingEvents(db).Any(e => e.MemberId == m.Id && e.OccurredAt > cutoff)
            && !QualifyingRedemptions(db).Any(r => r.MemberId == m.Id && r.CreatedAt > cutoff));

    /// <summary>What counts as activity for the inactivity policy: an accepted event other than a return, and a redemption.</summary>
    private static IQueryable<LoyaltyEvent> QualifyingEvents(LoyaltyDbContext db) =>
        db.Set<LoyaltyEvent>().Where(e => e.Type != Intake.EventIntakeService.Return);

    private static IQueryable<Redemption.Redemption> QualifyingRedemptions(LoyaltyDbContext db) =>
        db.Set<Redemption.Redemption>().Where(r => r.Kind == RedemptionKind.Reward);

    private async Task<RunResult> ExpireMemberAsync(LoyaltyProgram program, long memberId, CancellationToken ct)
    {
        await ledger.LockMemberAsync(memberId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        // Checked again under the lock: an event, a link or a redemption committed since the query wins.
        var custodial = db.Set<Member>().Where(m => m.Id == memberId && m.WalletKind == WalletKind.Custodial);
        var lots = db.Set<PointLot>().AsNoTracking().Where(l => l.MemberId == memberId && l.Remaining > 0);
        if (program.ExpiryPolicy == ExpiryPolicy.Fixed)
        {
            if (!await custodial.AnyAsync(ct)) return RunResult.None;
            lots = lots.Where(l => l.ExpiresAt != null && l.ExpiresAt <= now);
        }
        else if (!await Inactive(db, custodial, ExpiryRules.InactivityCutoff(program, now)).AnyAsync(ct)) return RunResult.None;
        var take = await lots.OrderBy(l => l.ExpiresAt).ThenBy(l => l.Id).Select(l => new LedgerWriter.LotTake(l.Id, l.Remaining)).ToListAsync(ct);
        var amount = take.Sum(t => t.Amount);
        if (amount == 0) return RunResult.None;
        var why = program.ExpiryPolicy == ExpiryPolicy.Fixed ? "expired" : "expired after inactivity";
        var result = await retirement.RetireAsync(program, memberId, amount, RedemptionKind.Expiry, "expiry", $"{why} on {now:yyyy-MM-dd}", ct, take);
        return new RunResult(1, result.Retired, result.CancelledBeforeMint, result.Burning);
    }

    public sealed record Expiring(long Amount, DateTime At);

    /// <summary>What of the member's available points expires within <paramref name="horizon"/>, by date (empty for self-custody).</summary>
    public static Task<List<Expiring>> SoonAsync(LoyaltyDbContext db, LoyaltyProgram program, Member member, DateTime now, TimeSpan horizon,
        CancellationToken ct) => SoonAsync(db, program, member, null, now, horizon, ct);

    /// <param name="available">The member's available balance when the caller has read it already (GET member): one statement less.</param>
    public static async Task<List<Expiring>> SoonAsync(LoyaltyDbContext db, LoyaltyProgram program, Member member, long? available, DateTime now,
        TimeSpan horizon, CancellationToken ct)
    {
        if (member.WalletKind != WalletKind.Custodial || program.ExpiryPolicy == ExpiryPolicy.None) return [];
        var until = now + horizon;
        if (program.ExpiryPolicy == ExpiryPolicy.Fixed)
        {
            var lots = await db.Set<PointLot>().AsNoTracking()
                .Where(l => l.MemberId == member.Id && l.Remaining > 0 && l.ExpiresAt != null && l.ExpiresAt <= until)
                .Select(l => new { l.Remaining, At = l.ExpiresAt!.Value }).ToListAsync(ct);
            return lots.GroupBy(l => l.At).OrderBy(g => g.Key).Select(g => new Expiring(g.Sum(l => l.Remaining), g.Key)).ToList();
        }
        var lastEvent = await QualifyingEvents(db).Where(e => e.MemberId == member.Id).MaxAsync(e => (DateTime?)e.OccurredAt, ct);
        var lastRedemption = await QualifyingRedemptions(db).Where(r => r.MemberId == member.Id).MaxAsync(r => (DateTime?)r.CreatedAt, ct);
        var last = new[] { member.CreatedAt, lastEvent ?? DateTime.MinValue, lastRedemption ?? DateTime.MinValue }.Max();
        var at = ExpiryRules.InactivityExpiry(program, DateTime.SpecifyKind(last, DateTimeKind.Utc))!.Value;
        var balance = available ?? await db.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == member.Id).Select(b => b.Available).SingleAsync(ct);
        return at <= until && balance > 0 ? [new Expiring(balance, at)] : [];
    }
}
