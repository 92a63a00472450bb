using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// SQLite allows one writer at a time; concurrent writers otherwise spin on SQLITE_BUSY with sleeps and
/// throughput collapses. Writers queue here instead (in process, FIFO, no sleeping), one gate per database
/// file, so two hosts in one process on the same file share it. PostgreSQL needs no gate: row locks order
/// its writers. Services do not take it themselves: <see cref="WriteTransactions.InWriteTransactionAsync{T}"/>
/// does (the intake batch writer, which manages its own savepoints, is the one other caller).
/// </summary>
public sealed class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>Kept so existing constructor injection resolves; the gate itself is per database file.</summary>
    public Task<IDisposable> EnterAsync(LoyaltyDbContext db, CancellationToken ct) => AcquireAsync(db, ct);

    public static async Task<IDisposable> AcquireAsync(LoyaltyDbContext db, CancellationToken ct)
    {
        if (!db.IsSqlite) return NoLock.Instance;
        var gate = Gates.GetOrAdd(db.Database.GetDbConnection().DataSource ?? "", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();
        public void Dispose() { }
    }
}
