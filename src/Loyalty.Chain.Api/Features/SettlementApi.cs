using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Settlement progress, an on-demand settlement pass, and reconciliation of the ledger with the chain.</summary>
public static class SettlementApi
{
    public sealed record Totals(string Pending, string Available, string Reserved, string OnChain);
    public sealed record BatchView(long Id, string Kind, int Recipients, string Total, string Status, long ChainTxId, string ChainTxStatus,
        string? TxHash, long? BlockNumber, long? GasUsed, DateTime CreatedAt);
    public sealed record SettlementView(Totals Ledger, int QueuedIntents, int BatchedIntents, int ConfirmedIntents, IReadOnlyList<BatchView> Batches);
    public sealed record ReportView(long Id, DateTime CheckedAt, long Block, string LedgerOnChain, string ChainTotalSupply, int MembersChecked,
        int DriftCount, IReadOnlyList<MemberDrift> Drifts, bool Reconciled);

    public static RouteGroupBuilder MapSettlement(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Settlement");
        group.MapGet("/settlement", GetAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/settlement/run", RunAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("settlement-run");
        group.MapPost("/reconciliation", ReconcileAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("reconciliation");
        group.MapGet("/reconciliation", LatestAsync).RequireProgramRole(ApiRole.Admin);
        return group;
    }

    private static async Task<Ok<SettlementView>> GetAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        var balances = await db.Set<MemberBalance>().Where(b => b.ProgramId == id)
            .GroupBy(_ => 1).Select(g => new { P = g.Sum(b => b.Pending), A = g.Sum(b => b.Available), R = g.Sum(b => b.Reserved), O = g.Sum(b => b.OnChain) })
            .SingleOrDefaultAsync(ct);
        var intents = await db.Set<MintIntent>().Where(i => i.ProgramId == id).GroupBy(i => i.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var batches = await (from b in db.Set<SettlementBatch>()
                             join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                             where b.ProgramId == id
                             orderby b.Id descending
                             select new BatchView(b.Id, b.Kind, b.Recipients, b.Total.ToString(), b.Status.ToString(), t.Id, t.Status.ToString(),
                                 t.MinedHash, t.BlockNumber, t.GasUsed, b.CreatedAt)).Take(100).ToListAsync(ct);
        int Count(IntentStatus s) => intents.SingleOrDefault(i => i.Key == s)?.Count ?? 0;
        return TypedResults.Ok(new SettlementView(
            new Totals((balances?.P ?? 0).ToString(), (balances?.A ?? 0).ToString(), (balances?.R ?? 0).ToString(), (balances?.O ?? 0).ToString()),
            Count(IntentStatus.Queued), Count(IntentStatus.Batched), Count(IntentStatus.Confirmed), batches));
    }

    /// <summary>Runs maturation and a settlement round now instead of waiting for the recurring job.</summary>
    private static async Task<Ok<object>> RunAsync(HttpContext http, MaturationService maturation, SettlementService settlement,
        Loyalty.Chain.Ledger.LoyaltyDbContext db, CancellationToken ct)
    {
        // A mint to a paused contract would revert: queued intents wait for the resume.
        await Loyalty.Chain.Programs.ProgramPause.EnsureNotPausedAsync(db, http.Program().Id, ct);
        var matured = await maturation.RunAsync(ct);
        var applied = await settlement.FollowBatchesAsync(ct);
        var created = await settlement.SettleProgramAsync(http.Program(), ct);
        return TypedResults.Ok<object>(new { matured, batchesApplied = applied, batchesCreated = created });
    }

    private static async Task<Ok<ReportView>> ReconcileAsync(HttpContext http, Reconciler reconciler, CancellationToken ct) =>
        TypedResults.Ok(View(await reconciler.ReconcileAsync(http.Program(), ct)));

    private static async Task<Results<Ok<ReportView>, NotFound>> LatestAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        var report = await db.Set<ReconciliationReport>().AsNoTracking().Where(r => r.ProgramId == id).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
        return report is null ? TypedResults.NotFound() : TypedResults.Ok(View(report));
    }

    private static ReportView View(ReconciliationReport r) => new(r.Id, r.CheckedAt, r.Block, r.LedgerOnChain.ToString(), r.ChainTotalSupply.ToString(),
        r.MembersChecked, r.DriftCount, System.Text.Json.JsonSerializer.Deserialize<List<MemberDrift>>(r.Drifts) ?? [], r.Reconciled);
}
