using Loyalty.Chain.Ledger;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Loyalty.Chain.Telemetry;
using System.Threading.Channels;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Programs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Intake;

/// <summary>Intake settings (section "Intake").</summary>
public sealed class IntakeOptions
{
    public const string Section = "Intake";

    /// <summary>
    /// Most events written in one transaction. Past a few dozen the commit is no longer what costs, and on
    /// PostgreSQL each event's savepoint is a subtransaction: more than 64 in one transaction overflow the
    /// per-backend cache and slow every other session's snapshots.
    /// </summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 64;
}

/// <summary>An accepted event waiting for the writer, and the caller waiting for its answer.</summary>
internal sealed class IntakeItem(LoyaltyProgram program, ParsedEvent e, IdempotencyRequest? idempotency, CancellationToken requestAborted)
{
    // Callers resume on the thread pool, not inline on the writer between two batches.
    private readonly TaskCompletionSource<IntakeResponse> done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LoyaltyProgram Program => program;
    public ParsedEvent Event => e;
    /// <summary>The Idempotency-Key (scope "events"), or null when none was sent.</summary>
    public IdempotencyRequest? Idempotency => idempotency;
    public CancellationToken RequestAborted => requestAborted;
    /// <summary>How many batches put it off (a duplicate in its batch, or a lost race on a unique index).</summary>
    public int Deferrals { get; set; }
    /// <summary>Transient conflicts (deadlock, serialization failure) met while written alone.</summary>
    public int Conflicts { get; set; }
    public Task<IntakeResponse> Completion => done.Task;

    public void Succeed(IntakeResponse response) => done.TrySetResult(response);
    public void Fail(Exception error) => done.TrySetException(error);
    public void Cancel() => done.TrySetCanceled(requestAborted);
}

/// <summary>
/// Group commit for event intake. Requests queue their validated events here; one writer drains up to
/// <see cref="IntakeOptions.MaxBatchSize"/> waiting events, writes them in one transaction
/// (<see cref="IntakeBatchWriter"/>), commits once, and only then answers each caller. With SQLite that is one
/// durable (fsync'd) commit for many events instead of one each, and the work shared by the batch is done once.
/// </summary>
/// <remarks>
/// <para>No caller is answered before the commit that holds its event: if a batch fails as a whole (the commit,
/// a deadlock, anything outside one event), its events are written again one per transaction, and a failure
/// there goes to that caller alone.</para>
/// <para>It needs no generic host: the loop starts with the first event and stops when the service provider is
/// disposed; events still queued then fail with <see cref="ObjectDisposedException"/>. A caller whose request is
/// aborted stops waiting; its event is skipped if the writer has not taken it yet, and written otherwise.</para>
/// </remarks>
public sealed class IntakeCommitQueue : IAsyncDisposable, IDisposable
{
    /// <summary>A unique index refused an event this many times: not a race any more, so it is reported.</summary>
    private const int MaxDeferrals = 2;
    private const int MaxConflicts = 3;

    private readonly IServiceScopeFactory scopes;
    private readonly ILogger<IntakeCommitQueue> logger;
    private readonly int maxBatch;
    private readonly Channel<IntakeItem> channel = Channel.CreateUnbounded<IntakeItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stop = new();
    private readonly Lock startLock = new();
    private Task? loop;
    private int disposed;

    public IntakeCommitQueue(IServiceScopeFactory scopes, IOptions<IntakeOptions> options, ILogger<IntakeCommitQueue> logger)
    {
        this.scopes = scopes;
        this.logger = logger;
        maxBatch = options.Value.MaxBatchSize;
    }

    /// <summary>Queues the event and waits until the transaction holding it has committed (or it was refused).</summary>
    internal async Task<IntakeResponse> SubmitAsync(LoyaltyProgram program, ParsedEvent e, IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var item = new IntakeItem(program, e, idempotency, ct);
        EnsureStarted();
        if (!channel.Writer.TryWrite(item)) throw ShuttingDown();
        return await item.Completion.WaitAsync(ct);
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref loop) is not null) return;
        lock (startLock)
        {
            ObjectDisposedException.ThrowIf(disposed != 0, this);
            loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var carry = new List<IntakeItem>();
        var batch = new List<IntakeItem>(maxBatch);
        try
        {
            while (true)
            {
                if (carry.Count == 0 && !await channel.Reader.WaitToReadAsync(stop.Token)) break;
                // Put-off events go first: they are older, and the next batch settles them.
                batch.Clear();
                batch.AddRange(carry);
                carry.Clear();
                while (batch.Count < maxBatch && channel.Reader.TryRead(out var item))
                {
                    if (item.RequestAborted.IsCancellationRequested) item.Cancel();
                    else batch.Add(item);
                }
                if (batch.Count > 0) await WriteAsync(batch, carry);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // WriteAsync catches everything per batch; this is a bug, and a silent dead writer would hang every caller.
            logger.LogCritical(error, "The intake writer stopped");
            foreach (var item in batch.Concat(carry)) item.Fail(error);
            throw;
        }
        finally
        {
            foreach (var item in carry) item.Fail(ShuttingDown());
        }
    }

    /// <summary>Writes a batch, falling back to one event per transaction when the batch as a whole fails.</summary>
    private async Task WriteAsync(List<IntakeItem> batch, List<IntakeItem> carry)
    {
        IntakeOutcome[] outcomes;
        var clock = Stopwatch.StartNew();
        // Lazy: the program and event ids are only formatted when a line is actually written inside this batch.
        using var logScope = logger.BeginScope(new IntakeLogScope(batch));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            outcomes = await scope.ServiceProvider.GetRequiredService<IntakeBatchWriter>().WriteAsync(batch, stop.Token);
        }
        catch (Exception error) when (stop.IsCancellationRequested)
        {
            var stopping = ShuttingDown();
            foreach (var item in batch) item.Fail(error is OperationCanceledException ? stopping : error);
            return;
        }
        catch (Exception error) when (batch.Count > 1)
        {
            logger.LogWarning(error, "An intake batch of {Count} events failed as a whole; writing them one by one", batch.Count);
            foreach (var item in batch.ToList()) await WriteAsync([item], carry);
            return;
        }
        catch (Exception error)
        {
            var item = batch[0];
            if (WriteTransactions.IsRetryable(error) && ++item.Conflicts < MaxConflicts)
            {
                // Deadlock or serialization failure with another instance: the next batch tries again.
                carry.Add(item);
                return;
            }
            Refused(error);
            item.Fail(error);
            return;
        }
        LoyaltyMeters.IntakeBatchSize.Record(batch.Count);
        LoyaltyMeters.IntakeCommitDuration.Record(clock.Elapsed.TotalSeconds);
        var accepted = 0;

        for (var i = 0; i < batch.Count; i++)
        {
            var (item, outcome) = (batch[i], outcomes[i]);
            switch (outcome.Kind)
            {
                case IntakeOutcomeKind.Done:
                    accepted++;
                    item.Succeed(outcome.Response!);
                    break;
                case IntakeOutcomeKind.Failed:
                    Refused(outcome.Error!);
                    item.Fail(outcome.Error!);
                    break;
                case IntakeOutcomeKind.Later when outcome.Error is not null && item.Deferrals >= MaxDeferrals:
                    Refused(outcome.Error);
                    item.Fail(outcome.Error);
                    break;
                default:
                    item.Deferrals++;
                    carry.Add(item);
                    break;
            }
        }
        LoyaltyMeters.EventsAccepted.Add(accepted);
    }

    private static void Refused(Exception error) =>
        LoyaltyMeters.EventsRefused.AddTagged(1, "code", error is LoyaltyException refused ? refused.Code : "ERROR");

    /// <summary>Log scope of one intake batch: its programs and event ids, built only if a log line asks for them.</summary>
    private sealed class IntakeLogScope(List<IntakeItem> batch) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private KeyValuePair<string, object?>[]? _pairs;
        private KeyValuePair<string, object?>[] Pairs => _pairs ??= Build();

        private KeyValuePair<string, object?>[] Build()
        {
            var programs = batch.Select(i => i.Program.Id).Distinct().ToArray();
            return
            [
                new("ProgramId", programs.Length == 1 ? programs[0] : string.Join(",", programs)),
                new("EventId", string.Join(",", batch.Select(i => i.Event.EventId))),
                new("BatchSize", batch.Count),
            ];
        }

        public KeyValuePair<string, object?> this[int index] => Pairs[index];
        public int Count => 3;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Pairs).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => string.Join(" ", Pairs.Select(p => $"{p.Key}:{p.Value}"));
    }

    private static ObjectDisposedException ShuttingDown() => new(nameof(IntakeCommitQueue), "intake is shutting down");

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
            try
            {
                await running;
            }
            catch (Exception)
            {
                // Already logged by the loop; disposal goes on.
            }
        }
        while (channel.Reader.TryRead(out var item)) item.Fail(ShuttingDown());
        stop.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
