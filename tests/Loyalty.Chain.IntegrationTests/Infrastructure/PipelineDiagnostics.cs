using System.Globalization;
using System.Text;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Leases;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// What the pipeline looked like when a test gave up waiting for it: unfinished transactions, paused senders, open
/// alerts, leases and the intents' states. Put in a failing assertion's message, it reaches the tail of a CI log,
/// where a timeout alone ("did not settle") says nothing of why.
/// </summary>
public static class PipelineDiagnostics
{
    public static async Task<string> DescribeAsync(IServiceProvider services)
    {
        var s = new StringBuilder();
        try
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var now = DateTime.UtcNow;
            s.Append(CultureInfo.InvariantCulture, $"\n-- pipeline at {now:O}");
            var txs = await db.Set<ChainTx>().AsNoTracking().OrderByDescending(t => t.Id).Take(12).ToListAsync();
            var open = await db.Set<ChainTx>().AsNoTracking()
                .Where(t => t.Status != ChainTxStatus.Final && t.Status != ChainTxStatus.Errored && t.Status != ChainTxStatus.Cancelled)
                .OrderBy(t => t.Id).Take(12).ToListAsync();
            foreach (var t in open.Concat(txs).DistinctBy(t => t.Id).OrderBy(t => t.Id))
                s.Append(CultureInfo.InvariantCulture,
                    $"\ntx {t.Id} {t.Purpose} from {t.From[..10]} {t.Status}/{t.Outcome} nonce {t.Nonce} resends {t.ResendCount} block {t.BlockNumber} "
                    + $"err {t.ErrorCode} notBefore {t.NotBefore:HH:mm:ss.f} updated {t.UpdatedAt:HH:mm:ss.f} broadcast {t.LastBroadcastAt:HH:mm:ss.f}");
            foreach (var p in await db.Set<SenderState>().AsNoTracking().ToListAsync())
                s.Append(CultureInfo.InvariantCulture, $"\nsender {p.Address[..10]} next nonce {p.NextNonce} paused {p.Paused} {p.PausedReason}");
            foreach (var a in await db.Set<Alert>().AsNoTracking().Where(a => a.ResolvedAt == null).ToListAsync())
                s.Append(CultureInfo.InvariantCulture, $"\nalert {a.Code} {a.Subject} at {a.RaisedAt:HH:mm:ss}");
            foreach (var l in await db.Set<Lease>().AsNoTracking().ToListAsync())
                s.Append(CultureInfo.InvariantCulture, $"\nlease {l.Name} {(l.Holder is null ? "free" : "held")} until {l.ExpiresAt:HH:mm:ss.f}");
            foreach (var g in await db.Set<MintIntent>().AsNoTracking().GroupBy(i => i.Status).Select(g => new { g.Key, N = g.Count() }).ToListAsync())
                s.Append(CultureInfo.InvariantCulture, $"\nintents {g.Key}: {g.N}");
        }
        catch (Exception ex)
        {
            s.Append("\n(diagnostics failed: ").Append(ex.GetType().Name).Append(' ').Append(ex.Message).Append(')');
        }
        return s.ToString();
    }
}
