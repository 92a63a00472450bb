using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Settlement;

/// <summary>
/// Pending points whose return window has closed become available and are queued for minting. The move
/// (ledger posting) and the mint intent commit together, so a point is never available but unminted forever.
/// </summary>
public sealed class MaturationService(LoyaltyDbContext db, LedgerWriter ledger, TimeProvider time,
    IOptions<SettlementOptions> options, Referrals.ReferralRewarder referrals)
{
    public Task<int> RunAsync(CancellationToken ct) => db.InWriteTransactionAsync(MatureDueAsync, ct);

    private async Task<int> MatureDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Set<Accrual>().AsNoTracking()
            .Where(a => a.Status == AccrualStatus.Pending && a.MaturesAt <= now)
            .OrderBy(a => a.Id).Take(options.Value.MaturationBatch).ToListAsync(ct);
        // Referrals: rewarded once their qualifying purchase matured (also retried here after a block or pause ended).
        if (due.Count == 0) { await referrals.RewardDueAsync(ct); return 0; }
        var memberIds = due.Select(a => a.MemberId).Distinct().ToList();
        var addresses = await db.Set<Member>().AsNoTracking().Where(m => memberIds.Contains(m.Id))
            .ToDictionaryAsync(m => m.Id, m => m.WalletAddress, ct);

        var matured = 0;
        foreach (var accrual in due)
        {
            // Claim the accrual as read: a concurrent run, or a return that clawed some of it back meanwhile,
            // makes the claim miss and this run leaves it alone.
            var claimed = await db.Set<Accrual>()
                .Where(a => a.Id == accrual.Id && a.Status == AccrualStatus.Pending && a.ClawedBack == accrual.ClawedBack)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, AccrualStatus.Matured), ct);
            if (claimed == 0) continue;
            matured++;
            if (accrual.Remaining <= 0) continue;
            var intent = Queue(accrual.ProgramId, accrual.MemberId, addresses[accrual.MemberId], accrual.Remaining, now);
            await db.SaveChangesAsync(ct);
            var intentId = intent.Id;
            await db.Set<Accrual>().Where(a => a.Id == accrual.Id).ExecuteUpdateAsync(u => u.SetProperty(a => a.MintIntentId, intentId), ct);
            await ledger.PostAsync(accrual.ProgramId, accrual.MemberId, EntryKind.Mature, LedgerAccount.Pending, LedgerAccount.Available,
                accrual.Remaining, new LedgerWriter.Refs(accrual.EventId, accrual.Id, intent.Id), ct);
        }
        await db.SaveChangesAsync(ct);
        await referrals.RewardDueAsync(ct); // referrals
        return matured;
    }

    public sealed record PendingLot(long Amount, DateTime AvailableAt);

    /// <summary>
    /// The member's pending points by the instant each becomes available (its accrual's MaturesAt), soonest first, net of
    /// what returns clawed back; they add up to the pending balance. An accrual past its instant stays listed until the
    /// next maturation pass moves it. Reached through the member's Earn-to-Pending entries (indexed by member), so the
    /// read never scans the program's pending accruals.
    /// </summary>
    public static async Task<List<PendingLot>> PendingLotsAsync(LoyaltyDbContext db, long programId, long memberId, CancellationToken ct)
    {
        var rows = await (from e in db.Set<LedgerEntry>()
                          where e.ProgramId == programId && e.MemberId == memberId && e.Account == LedgerAccount.Pending && e.Kind == EntryKind.Earn
                          join a in db.Set<Accrual>() on e.AccrualId equals a.Id
                          where a.Status == AccrualStatus.Pending && a.Points > a.ClawedBack
                          select new { a.Id, Amount = a.Points - a.ClawedBack, a.MaturesAt })
            .AsNoTracking().ToListAsync(ct);
        return rows.DistinctBy(r => r.Id).GroupBy(r => r.MaturesAt).OrderBy(g => g.Key)
            .Select(g => new PendingLot(g.Sum(r => r.Amount), g.Key)).ToList();
    }

    internal MintIntent Queue(long programId, long memberId, string address, long amount, DateTime now)
    {
        var intent = new MintIntent
        {
            ProgramId = programId, MemberId = memberId, Address = address, Amount = amount,
            Status = IntentStatus.Queued, CreatedAt = now,
        };
        db.Set<MintIntent>().Add(intent);
        return intent;
    }
}
