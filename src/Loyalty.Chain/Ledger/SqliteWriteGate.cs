namespace Loyalty.Chain.Ledger;

/// <summary>
/// SQLite allows one writer at a time; concurrent writers otherwise spin on SQLITE_BUSY with sleeps and
/// throughput collapses. Hot write paths queue here instead (in process, FIFO, no sleeping). PostgreSQL
/// needs no gate: row locks order its writers.
/// </summary>
public sealed class SqliteWriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable> EnterAsync(LoyaltyDbContext db, CancellationToken ct)
    {
        if (!db.IsSqlite) return NoLock.Instance;
        await _gate.WaitAsync(ct);
        return new Release(_gate);
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
