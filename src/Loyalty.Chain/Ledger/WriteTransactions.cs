using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// The one owner of write transactions. Every service that changes more than one row goes through
/// <see cref="InWriteTransactionAsync{T}"/>: it takes the SQLite write gate, opens the transaction, commits,
/// and on PostgreSQL retries serialization failures and deadlocks with a clean change tracker.
/// The work must therefore load what it needs inside the delegate, and must never call the node: the gate
/// and the transaction would be held for the whole round trip.
/// </summary>
public static class WriteTransactions
{
    public const int MaxAttempts = 5;

    /// <summary>Runs <paramref name="work"/> in one committed transaction; inside a caller's transaction it joins it.</summary>
    public static async Task<T> InWriteTransactionAsync<T>(this LoyaltyDbContext db, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work(ct);
        for (var attempt = 1; ; attempt++)
        {
            using var writer = await SqliteWriteGate.AcquireAsync(db, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var result = await work(ct);
                // A posting's balance increments run as SQL at once, its entries only with SaveChanges: committing with
                // entries still unsaved would split the books, so that is refused (rolled back) loudly instead. (Saving them
                // here instead would also save whatever else the request left tracked, such as a refused edit.)
                EnsureNoUnsavedPostings(db);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsRetryable(ex))
            {
                await tx.RollbackAsync(CancellationToken.None);
                db.ChangeTracker.Clear();
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
            }
        }
    }

    public static Task InWriteTransactionAsync(this LoyaltyDbContext db, Func<CancellationToken, Task> work, CancellationToken ct) =>
        db.InWriteTransactionAsync(async c => { await work(c); return true; }, ct);

    internal static void EnsureNoUnsavedPostings(LoyaltyDbContext db)
    {
        if (db.ChangeTracker.Entries().Any(e => e.State == EntityState.Added && e.Entity is LedgerEntry or LotDraw or PointLot))
            throw new InvalidOperationException("a write transaction was about to commit with ledger entries or lots not saved");
    }

    /// <summary>PostgreSQL serialization failure (40001) or deadlock (40P01): the transaction may simply be run again.</summary>
    public static bool IsRetryable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException { SqlState: "40001" or "40P01" }) return true;
        }
        return false;
    }
}
