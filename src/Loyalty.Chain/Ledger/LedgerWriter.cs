using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// Writes postings: two entries that sum to zero, plus atomic increments of the member's cached
/// balances. Must run inside the caller's database transaction, which commits both or neither.
/// </summary>
public sealed class LedgerWriter(LoyaltyDbContext db, TimeProvider time)
{
    public sealed record Refs(long? EventId = null, long? AccrualId = null, long? MintIntentId = null, string? Note = null);

    public async Task PostAsync(long programId, long memberId, EntryKind kind, LedgerAccount from, LedgerAccount to, long amount,
        Refs refs, CancellationToken ct)
    {
        if (amount <= 0) throw new ArgumentOutOfRangeException(nameof(amount), "postings move a positive amount");
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("postings need a database transaction");
        var posting = Guid.NewGuid();
        var now = time.GetUtcNow().UtcDateTime;
        db.Set<LedgerEntry>().Add(Entry(from, -amount));
        db.Set<LedgerEntry>().Add(Entry(to, amount));
        await ApplyAsync(memberId, from, -amount, kind, ct);
        await ApplyAsync(memberId, to, amount, kind, ct);
        if (kind == EntryKind.Earn)
        {
            var headroom = long.MaxValue - amount;
            await CheckedAsync(memberId, await db.Set<MemberBalance>().Where(b => b.MemberId == memberId && b.LifetimeEarned <= headroom)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.LifetimeEarned, b => b.LifetimeEarned + amount), ct), ct);
        }

        LedgerEntry Entry(LedgerAccount account, long signed) => new()
        {
            ProgramId = programId,
            PostingId = posting,
            Account = account,
            MemberId = account == LedgerAccount.Issuance ? null : memberId,
            Amount = signed,
            Kind = kind,
            EventId = refs.EventId,
            AccrualId = refs.AccrualId,
            MintIntentId = refs.MintIntentId,
            Note = refs.Note,
            CreatedAt = now,
        };
    }

    /// <summary>
    /// Takes the member's balance row lock first thing in a transaction (a no-op update): on PostgreSQL
    /// this serialises concurrent events of one member so limits and balances are checked on fresh data.
    /// </summary>
    public Task LockMemberAsync(long memberId, CancellationToken ct) =>
        db.Set<MemberBalance>().Where(b => b.MemberId == memberId)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Pending, b => b.Pending), ct);

    /// <summary>
    /// Checked arithmetic in SQL: a credit applies only while it fits in int64 (SQLite would silently turn the sum into a
    /// float, PostgreSQL would fail the whole batch); a debit never overflows, as balances are never below -int64.MaxValue.
    /// </summary>
    private async Task ApplyAsync(long memberId, LedgerAccount account, long delta, EntryKind kind, CancellationToken ct)
    {
        var headroom = delta > 0 ? long.MaxValue - delta : long.MaxValue;
        var balances = db.Set<MemberBalance>().Where(b => b.MemberId == memberId);
        var applied = account switch
        {
            LedgerAccount.Pending => await balances.Where(b => b.Pending <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Pending, b => b.Pending + delta), ct),
            LedgerAccount.Available => await balances.Where(b => b.Available <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Available, b => b.Available + delta), ct),
            LedgerAccount.Reserved => await balances.Where(b => b.Reserved <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Reserved, b => b.Reserved + delta), ct),
            _ => -1,
        };
        if (applied == 0) await CheckedAsync(memberId, applied, ct);
    }

    /// <summary>No row updated: an overflow when the member's balance row exists (a missing row was always left alone).</summary>
    private async Task CheckedAsync(long memberId, int applied, CancellationToken ct)
    {
        if (applied == 0 && await db.Set<MemberBalance>().AnyAsync(b => b.MemberId == memberId, ct))
            throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", "the member's balance would exceed what a 64-bit ledger holds", 422);
    }
}
