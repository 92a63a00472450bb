using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// Several reads that must see one committed state (a report that adds rows of one table to rows of another):
/// on PostgreSQL one REPEATABLE READ transaction (one snapshot for every statement), on SQLite one deferred read
/// transaction (WAL: the snapshot of its first read), which takes neither the write gate nor the write lock.
/// Nothing is written in it, and the work must not call the node.
/// </summary>
public static class ReadSnapshots
{
    public static async Task<T> InReadSnapshotAsync<T>(this LoyaltyDbContext db, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work(ct);
        if (!db.IsSqlite)
        {
            await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            var result = await work(ct);
            await tx.CommitAsync(ct);
            return result;
        }
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var read = ((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
            await db.Database.UseTransactionAsync(read, ct);
            try
            {
                return await work(ct);
            }
            finally
            {
                await db.Database.UseTransactionAsync(null, CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
