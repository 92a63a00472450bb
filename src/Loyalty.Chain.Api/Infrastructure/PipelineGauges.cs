using System.Diagnostics.Metrics;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Telemetry;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// Gauges read from the database: ChainTx rows per state and the age of the oldest queued one. They are observed only
/// when something collects (a scrape), and one snapshot serves for a few seconds, so a busy scraper costs one GROUP BY
/// on the (Status, NotBefore) index at most every <see cref="CacheFor"/>.
/// </summary>
public sealed class PipelineGauges : IDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineGauges> _logger;
    private readonly Meter _meter;
    private readonly Lock _lock = new();
    private (DateTime At, Dictionary<ChainTxStatus, int> ByStatus, double OldestQueuedSeconds)? _last;

    public PipelineGauges(IServiceScopeFactory scopes, IMeterFactory meters, TimeProvider time, ILogger<PipelineGauges> logger)
    {
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _meter = meters.Create(LoyaltyMeters.Name);
        _meter.CreateObservableGauge<int>("loyalty.chaintx.count", ObserveByStatus, "{transaction}", "ChainTx rows by state");
        _meter.CreateObservableGauge<double>("loyalty.pipeline.backlog.age", ObserveBacklogAge, "s",
            "Age of the oldest Queued (not yet sent) ChainTx; 0 when none");
    }

    private IEnumerable<Measurement<int>> ObserveByStatus() => Snapshot() is { } s
        ? Enum.GetValues<ChainTxStatus>().Select(st => new Measurement<int>(s.ByStatus.GetValueOrDefault(st),
            new KeyValuePair<string, object?>("status", st.ToString()))).ToList()
        : [];

    private IEnumerable<Measurement<double>> ObserveBacklogAge() =>
        Snapshot() is { } s ? [new Measurement<double>(s.OldestQueuedSeconds)] : [];

    private (DateTime At, Dictionary<ChainTxStatus, int> ByStatus, double OldestQueuedSeconds)? Snapshot()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            if (_last is { } cached && now - cached.At < CacheFor) return cached;
            try
            {
                using var scope = _scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
                var byStatus = db.Set<ChainTx>().AsNoTracking().GroupBy(t => t.Status).Select(g => new { g.Key, Count = g.Count() })
                    .ToList().ToDictionary(x => x.Key, x => x.Count);
                var oldest = byStatus.GetValueOrDefault(ChainTxStatus.Queued) == 0 ? (DateTime?)null
                    : db.Set<ChainTx>().AsNoTracking().Where(t => t.Status == ChainTxStatus.Queued).Min(t => (DateTime?)t.CreatedAt);
                _last = (now, byStatus, oldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : 0);
            }
            catch (Exception ex)
            {
                // A scrape must not fail because the database is away; readiness reports that.
                _logger.LogWarning("Pipeline gauges not read: {Error}", ex.GetType().Name);
                return _last;
            }
            return _last;
        }
    }

    public void Dispose() => _meter.Dispose();
}
