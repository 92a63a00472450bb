using Hangfire;
using Loyalty.Chain.Leases;

namespace Loyalty.Chain.Indexer;

/// <summary>
/// The recurring indexer pass. Re-entrant: every step starts from the durable checkpoints. It fails
/// (visibly, in the dashboard) when a contract failed or hit a deep reorg, after scanning the others.
/// </summary>
public sealed class IndexerJobs(TransferIndexer indexer, LeaseService leases)
{
    public const string RecurringId = "indexer-scan";

    [AutomaticRetry(Attempts = 0)]
    public Task ScanAllAsync(CancellationToken ct) => leases.RunExclusiveAsync(RecurringId, ScanAsync, ct);

    private async Task ScanAsync(CancellationToken ct)
    {
        var results = await indexer.ScanAllAsync(ct);
        var bad = results.Where(r => r.Status is IndexStatus.Failed or IndexStatus.ReorgDetected).ToList();
        if (bad.Count > 0)
            throw new InvalidOperationException("Indexer: " + string.Join("; ", bad.Select(r => $"{r.Contract} {r.Status}: {r.Detail}")));
    }
}
