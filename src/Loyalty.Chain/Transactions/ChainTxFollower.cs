using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// What the business does when a transaction of one of its purposes has finished (Final, Errored or Cancelled).
/// Must be re-entrant: a crash after the handler committed and before the row was marked handled runs it again,
/// and two instances may run it at once; handlers claim their business rows by conditional update.
/// </summary>
public interface IChainTxOutcomeHandler
{
    IReadOnlyCollection<string> Purposes { get; }
    Task OnFinishedAsync(ChainTx tx, CancellationToken ct);
}

/// <summary>
/// The one follower of finished transactions: finds terminal rows whose outcome is not yet handled, hands each to
/// the handler of its purpose, then marks it handled. Each row gets its own scope, so one failing row is logged and
/// retried next pass without blocking the others.
/// </summary>
public sealed class ChainTxFollower(IServiceScopeFactory scopes, TimeProvider time, ILogger<ChainTxFollower> logger)
{
    public const int BatchSize = 200;

    /// <summary>One pass over the finished rows of <paramref name="purposes"/> (every handled purpose when null).</summary>
    public async Task<int> FollowAsync(IReadOnlyCollection<string>? purposes, CancellationToken ct)
    {
        List<long> ids;
        using (var scope = scopes.CreateScope())
        {
            var handled = Handlers(scope).SelectMany(h => h.Purposes).Where(p => purposes is null || purposes.Contains(p)).Distinct().ToList();
            if (handled.Count == 0) return 0;
            ids = await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<ChainTx>().AsNoTracking()
                .Where(t => t.OutcomeHandledAt == null && handled.Contains(t.Purpose)
                            && (t.Status == ChainTxStatus.Final || t.Status == ChainTxStatus.Errored || t.Status == ChainTxStatus.Cancelled))
                .OrderBy(t => t.Id).Select(t => t.Id).Take(BatchSize).ToListAsync(ct);
        }
        var done = 0;
        foreach (var id in ids)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await HandleAsync(id, ct)) done++;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogError(ex, "Outcome of ChainTx {Id} could not be applied; retried next pass", id);
            }
        }
        return done;
    }

    private async Task<bool> HandleAsync(long id, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var tx = await db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == id, ct);
        if (!tx.IsTerminal || tx.OutcomeHandledAt is not null) return false;
        var handler = Handlers(scope).First(h => h.Purposes.Contains(tx.Purpose));
        await handler.OnFinishedAsync(tx, ct);
        var now = time.GetUtcNow().UtcDateTime;
        await db.InWriteTransactionAsync(c => db.Set<ChainTx>().Where(t => t.Id == id && t.OutcomeHandledAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.OutcomeHandledAt, now), c), ct);
        return true;
    }

    private static IEnumerable<IChainTxOutcomeHandler> Handlers(IServiceScope scope) =>
        scope.ServiceProvider.GetServices<IChainTxOutcomeHandler>();
}
