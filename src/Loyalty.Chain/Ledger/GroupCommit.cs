using System.Diagnostics;
using System.Threading.Channels;
using Loyalty.Chain.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// Group commit for request-sized write transactions (issue 16; intake's <c>IntakeCommitQueue</c> is the same idea, with
/// work shared per batch). A request hands its work to <see cref="RunAsync{T}"/> instead of
/// <see cref="WriteTransactions.InWriteTransactionAsync{T}"/>; one writer takes up to <see cref="MaxBatch"/> waiting works,
/// runs them one after the other in ONE transaction under the SQLite write gate, each in its own savepoint, commits once
/// and only then answers each caller. On SQLite that is one fsync and one gate hand-over for many requests instead of one
/// each. Each work sees everything the works before it in the batch wrote, exactly as if they had committed one by one.
/// </summary>
/// <remarks>
/// <para>A work that throws is rolled back to its savepoint and its caller alone gets the exception; the others commit.
/// If the batch fails as a whole (the commit, a PostgreSQL deadlock or serialization failure), nothing of it committed
/// and each work is run again in a transaction of its own, with <see cref="WriteTransactions"/>' retries. No caller is
/// answered before the commit that holds its change.</para>
/// <para>A work runs in the writer's scope (its services and context are the batch's), with its caller's execution context
/// (log scope, trace, async locals). It must not call the node, like any write transaction. A caller whose request was
/// aborted before the writer took its work is skipped; once taken, the work is written.</para>
/// </remarks>
public sealed class GroupCommit(IServiceScopeFactory scopes, ILogger<GroupCommit> logger) : IAsyncDisposable
{
    /// <summary>Most works in one transaction: past a few dozen the commit is no longer what costs (and PostgreSQL savepoints are subtransactions).</summary>
    public const int MaxBatch = 64;
    private const string Savepoint = "group_work";

    private readonly Channel<Work> channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stop = new();
    private readonly Lock startLock = new();
    private Task? loop;
    private int disposed;

    /// <summary>Runs <paramref name="work"/> in the next group transaction and returns its result once that committed.</summary>
    public async Task<T> RunAsync<T>(Func<IServiceProvider, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        var item = new Work(async (sp, c) => await work(sp, c), ExecutionContext.Capture(), ct);
        EnsureStarted();
        if (!channel.Writer.TryWrite(item)) throw ShuttingDown();
        return (T)(await item.Done.Task.WaitAsync(ct))!;
    }

    private sealed class Work(Func<IServiceProvider, CancellationToken, Task<object?>> run, ExecutionContext? context, CancellationToken aborted)
    {
        public Func<IServiceProvider, CancellationToken, Task<object?>> Run => run;
        public ExecutionContext? Context => context;
        public CancellationToken Aborted => aborted;
        // Callers resume on the thread pool, not inline on the writer between two batches.
        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public object? Result { get; set; }
        public Exception? Error { get; set; }
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref loop) is not null) return;
        lock (startLock)
        {
            ObjectDisposedException.ThrowIf(disposed != 0, this);
            // The loop outlives the request that starts it: it must not carry that request's execution context.
            using (ExecutionContext.SuppressFlow()) loop ??= Task.Run(LoopAsync);
        }
    }

    private async Task LoopAsync()
    {
        var batch = new List<Work>(MaxBatch);
        try
        {
            while (await channel.Reader.WaitToReadAsync(stop.Token))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && channel.Reader.TryRead(out var item))
                {
                    if (item.Aborted.IsCancellationRequested) item.Done.TrySetCanceled(item.Aborted);
                    else batch.Add(item);
                }
                if (batch.Count > 0) await WriteAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // WriteAsync catches everything per batch; this is a bug, and a silent dead writer would hang every caller.
            logger.LogCritical(error, "The group-commit writer stopped");
            foreach (var item in batch) item.Done.TrySetException(error);
            throw;
        }
    }

    private async Task WriteAsync(List<Work> batch)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await WriteOnceAsync(batch);
        }
        catch (Exception error) when (stop.IsCancellationRequested)
        {
            foreach (var item in batch) item.Done.TrySetException(error is OperationCanceledException ? ShuttingDown() : error);
            return;
        }
        catch (Exception error) when (batch.Count > 1)
        {
            logger.LogWarning(error, "A group transaction of {Count} works failed as a whole; running them one by one", batch.Count);
            foreach (var item in batch) await AloneAsync(item);
            return;
        }
        catch (Exception error)
        {
            // One work, and the transaction itself failed: its own transaction with the usual retries.
            if (WriteTransactions.IsRetryable(error)) await AloneAsync(batch[0]);
            else batch[0].Done.TrySetException(error);
            return;
        }
        LoyaltyMeters.GroupCommitBatchSize.Record(batch.Count);
        LoyaltyMeters.GroupCommitDuration.Record(clock.Elapsed.TotalSeconds);
        foreach (var item in batch)
        {
            if (item.Error is { } e) item.Done.TrySetException(e);
            else item.Done.TrySetResult(item.Result);
        }
    }

    /// <summary>The batch in one transaction; throws (nothing committed) when it failed as a whole.</summary>
    private async Task WriteOnceAsync(List<Work> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        // Each work has its own savepoint; EF's automatic one around every SaveChanges would only add round trips.
        db.Database.AutoSavepointsEnabled = false;
        using var writer = await SqliteWriteGate.AcquireAsync(db, stop.Token);
        if (db.IsSqlite)
        {
            // As intake: savepoint journals in memory (lost only with the uncommitted transaction itself).
            await db.Database.OpenConnectionAsync(stop.Token);
            await db.Database.ExecuteSqlRawAsync("PRAGMA temp_store = MEMORY", stop.Token);
        }
        await using var tx = await db.Database.BeginTransactionAsync(stop.Token);
        foreach (var item in batch)
        {
            (item.Result, item.Error) = (null, null);
            await tx.CreateSavepointAsync(Savepoint, stop.Token);
            try
            {
                item.Result = await InContext(item, scope.ServiceProvider);
                WriteTransactions.EnsureNoUnsavedPostings(db);
                await tx.ReleaseSavepointAsync(Savepoint, stop.Token);
            }
            // A deadlock or serialization failure aborts the whole transaction: the batch is run again work by work.
            catch (Exception error) when (error is not OperationCanceledException && !WriteTransactions.IsRetryable(error))
            {
                await tx.RollbackToSavepointAsync(Savepoint, stop.Token);
                await tx.ReleaseSavepointAsync(Savepoint, stop.Token);
                item.Error = error;
            }
            finally
            {
                // Every row of this work is saved or rolled back: nothing is left for the next one to save.
                db.ChangeTracker.Clear();
            }
        }
        // Once the commit starts it is not cancelled: callers learn the outcome it really had.
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>One work in a transaction of its own (after its batch failed as a whole), with the usual retries.</summary>
    private async Task AloneAsync(Work item)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            item.Done.TrySetResult(await db.InWriteTransactionAsync(_ => InContext(item, scope.ServiceProvider), stop.Token));
        }
        catch (Exception error)
        {
            item.Done.TrySetException(error);
        }
    }

    /// <summary>Starts the work under its caller's execution context; its awaits keep it, the loop's own context is untouched.</summary>
    private Task<object?> InContext(Work item, IServiceProvider services)
    {
        if (item.Context is null) return item.Run(services, stop.Token);
        Task<object?>? task = null;
        ExecutionContext.Run(item.Context, _ => task = item.Run(services, stop.Token), null);
        return task!;
    }

    private static ObjectDisposedException ShuttingDown() => new(nameof(GroupCommit), "the writer is shutting down");

    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (startLock)
        {
            if (disposed != 0) return;
            disposed = 1;
            running = loop;
        }
        channel.Writer.TryComplete();
        await stop.CancelAsync();
        if (running is not null)
        {
            try { await running; }
            catch (Exception) { /* logged by the loop */ }
        }
        while (channel.Reader.TryRead(out var item)) item.Done.TrySetException(ShuttingDown());
        stop.Dispose();
    }
}
