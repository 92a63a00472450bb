using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// One pass of the pipeline over everything due: submit Queued rows, follow Sent and Mined rows,
/// resume funded senders. Each row gets its own scope (and DbContext) so one failure touches nothing
/// else. Safe to run on several service instances at once: rows are claimed with optimistic
/// concurrency and nonces come from the durable allocator.
/// </summary>
public sealed class PipelineRunner(IServiceScopeFactory scopes, NodeMonitor monitor, TimeProvider time, ILogger<PipelineRunner> logger)
{
    public const int BatchSize = 200;

    public async Task<int> SubmitDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        List<long> ids;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            // Rows that already hold a nonce go first, lowest nonce first: later nonces cannot land before them.
            ids = await db.Set<ChainTx>().AsNoTracking()
                .Where(t => t.Status == ChainTxStatus.Queued && (t.NotBefore == null || t.NotBefore <= now))
                .OrderBy(t => t.Nonce == null).ThenBy(t => t.Nonce).ThenBy(t => t.Id)
                .Select(t => t.Id).Take(BatchSize).ToListAsync(ct);
        }
        var sent = 0;
        foreach (var id in ids)
        {
            ct.ThrowIfCancellationRequested();
            if (await SubmitOneAsync(id, ct) == SubmitResult.Sent) sent++;
        }
        return sent;
    }

    public async Task<int> ConfirmInFlightAsync(CancellationToken ct)
    {
        List<long> ids;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            ids = await db.Set<ChainTx>().AsNoTracking()
                .Where(t => t.Status == ChainTxStatus.Sent || t.Status == ChainTxStatus.Mined)
                .OrderBy(t => t.Id).Select(t => t.Id).Take(BatchSize * 5).ToListAsync(ct);
        }
        // Every confirm pass also watches the node and the senders' funds, so outages reach the alerts.
        await monitor.CheckAsync(ct);
        using (var scope = scopes.CreateScope()) await ResumeFundedAsync(scope, ct);
        foreach (var id in ids)
        {
            ct.ThrowIfCancellationRequested();
            await ConfirmOneAsync(id, ct);
        }
        return ids.Count;
    }

    public async Task<SubmitResult> SubmitOneAsync(long id, CancellationToken ct)
    {
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { ["ChainTxId"] = id });
        using var scope = scopes.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<TransactionSubmitter>().SubmitAsync(id, ct);
        if (result == SubmitResult.Sent) Telemetry.LoyaltyMeters.ChainTxSubmitted.Add(1);
        return result;
    }

    public async Task<ChainTxStatus?> ConfirmOneAsync(long id, CancellationToken ct)
    {
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { ["ChainTxId"] = id });
        using var scope = scopes.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<TransactionConfirmer>().ConfirmAsync(id, ct);
    }

    /// <summary>Runs submit and confirm passes until nothing is in flight or the deadline passes (tools and tests).</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await SubmitDueAsync(ct);
            await ConfirmInFlightAsync(ct);
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            if (!await db.Set<ChainTx>().AnyAsync(t => t.Status != ChainTxStatus.Final && t.Status != ChainTxStatus.Errored
                                                      && t.Status != ChainTxStatus.Cancelled, ct))
                return true;
            await Task.Delay(50, ct);
        }
        return false;
    }

    private async Task ResumeFundedAsync(IServiceScope scope, CancellationToken ct)
    {
        try
        {
            var factory = scope.ServiceProvider.GetRequiredService<Web3Factory>();
            await scope.ServiceProvider.GetRequiredService<SenderHealth>().ResumeFundedAsync(factory.Get(), factory.Options, ct);
        }
        catch (Exception ex) when (RpcErrors.Classify(ex).Kind == RpcErrorKind.Transport)
        {
            logger.LogWarning("Sender health check postponed: node unreachable");
        }
    }
}
