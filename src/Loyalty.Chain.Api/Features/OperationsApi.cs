using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Admin view of the on-chain pipeline: transactions, their attempts, and alerts.</summary>
public static class OperationsApi
{
    public static RouteGroupBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin").WithTags("Operations").AddEndpointFilter(RequireAdmin);
        group.MapGet("/chain-txs", ListAsync);
        group.MapGet("/chain-txs/{id:long}", GetAsync);
        group.MapGet("/alerts", AlertsAsync);
        group.MapGet("/operator", OperatorAsync);
        group.MapPost("/recovery/reorg", RecoverReorgAsync).WithIdempotency("reorg-recovery");
        group.MapGet("/custody/rewrap", RewrapStatusAsync);
        // No Idempotency-Key: a run is resumable by design (each call goes on where the last stopped), and a replayed
        // summary would hide the rows still left.
        group.MapPost("/custody/rewrap", RewrapAsync);
        return group;
    }

    public sealed record ChainTxView(long Id, string Purpose, string? Reference, string Status, string? Outcome, long? Nonce,
        string From, string? To, int ResendCount, string? Hash, long? BlockNumber, string? BlockHash, long? GasUsed,
        string? EffectiveGasPrice, string? ErrorCode, string? ErrorMessage, DateTime CreatedAt, DateTime UpdatedAt,
        IReadOnlyList<AttemptView> Attempts);

    public sealed record AttemptView(string Hash, long Nonce, string MaxFeePerGas, string MaxPriorityFeePerGas, long GasLimit,
        bool IsCancellation, DateTime CreatedAt);

    private static async Task<Ok<List<ChainTxView>>> ListAsync(LoyaltyDbContext db, string? status, int? limit, CancellationToken ct)
    {
        var query = db.Set<ChainTx>().AsNoTracking().Include(t => t.Attempts).AsQueryable();
        if (Enum.TryParse<ChainTxStatus>(status, ignoreCase: true, out var s)) query = query.Where(t => t.Status == s);
        var rows = await query.OrderByDescending(t => t.Id).Take(Math.Clamp(limit ?? 50, 1, 500)).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(View).ToList());
    }

    private static async Task<Results<Ok<ChainTxView>, NotFound>> GetAsync(LoyaltyDbContext db, long id, CancellationToken ct)
    {
        var tx = await db.Set<ChainTx>().AsNoTracking().Include(t => t.Attempts).SingleOrDefaultAsync(t => t.Id == id, ct);
        return tx is null ? TypedResults.NotFound() : TypedResults.Ok(View(tx));
    }

    private static async Task<Ok<List<Alert>>> AlertsAsync(LoyaltyDbContext db, bool? open, CancellationToken ct)
    {
        var query = db.Set<Alert>().AsNoTracking();
        if (open == true) query = query.Where(a => a.ResolvedAt == null);
        return TypedResults.Ok(await query.OrderByDescending(a => a.Id).Take(200).ToListAsync(ct));
    }

    public sealed record OperatorView(string Address, string BalanceWei, long ChainId);

    /// <summary>The relayer that pays gas for every program: fund this address.</summary>
    private static async Task<Ok<OperatorView>> OperatorAsync(Loyalty.Chain.Custody.CustodyService custody, Loyalty.Chain.Chain.Web3Factory web3,
        CancellationToken ct)
    {
        var address = await custody.GetOrCreateServiceKeyAsync(Loyalty.Chain.Programs.ProgramService.OperatorPurpose, null, ct);
        var balance = await web3.Get().Eth.GetBalance.SendRequestAsync(address);
        return TypedResults.Ok(new OperatorView(address, balance.Value.ToString(), web3.Options.ChainId));
    }

    public sealed record ReorgRecoveryRequest(long? FromBlock);

    /// <summary>After a DEEP_REORG alert: re-index from a block below the fork and send again what the chain lost.</summary>
    private static async Task<Ok<Loyalty.Chain.Indexer.ReorgRecoveryResult>> RecoverReorgAsync(ReorgRecoveryRequest? request,
        Loyalty.Chain.Indexer.ReorgRecovery recovery, CancellationToken ct)
    {
        if (request?.FromBlock is not { } from)
            throw new LoyaltyException("INVALID_BLOCK", "fromBlock (a block number below the fork) is required", StatusCodes.Status400BadRequest);
        return TypedResults.Ok(await recovery.RecoverAsync(from, ct));
    }

    /// <summary>KEK rotation: how many encrypted rows are under which key id; complete when none is left under the previous key.</summary>
    private static async Task<Ok<Loyalty.Chain.Custody.KekRotationStatus>> RewrapStatusAsync(Loyalty.Chain.Custody.KekRotation rotation,
        CancellationToken ct) => TypedResults.Ok(await rotation.StatusAsync(ct));

    /// <summary>
    /// KEK rotation: re-wraps encrypted rows from the previous key to the new one (both from configuration, never from a
    /// request), batch by batch, each committed. Body (optional): <c>{"batchSize":100,"maxBatches":null}</c>. Call again to
    /// resume; 409 CUSTODY_NO_KEK_ROTATION when no new key is configured.
    /// </summary>
    private static async Task<Ok<Loyalty.Chain.Custody.KekRewrapResult>> RewrapAsync(HttpContext http, Loyalty.Chain.Custody.KekRotation rotation,
        CancellationToken ct)
    {
        var (batchSize, maxBatches) = await ReadRewrapRequestAsync(http, ct);
        return TypedResults.Ok(await rotation.RewrapAsync(batchSize, maxBatches, ct));
    }

    /// <summary>Only batchSize and maxBatches: any other field (a key pasted into the body, say) is refused and never echoed.</summary>
    private static async Task<(int BatchSize, int? MaxBatches)> ReadRewrapRequestAsync(HttpContext http, CancellationToken ct)
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text)) return (100, null);
        using System.Text.Json.JsonDocument document = ParseOrRefuse(text);
        var body = document.RootElement;
        if (body.ValueKind != System.Text.Json.JsonValueKind.Object) throw new LoyaltyException("MALFORMED_JSON", "the body must be a JSON object");
        int batchSize = 100;
        int? maxBatches = null;
        foreach (var p in body.EnumerateObject())
        {
            int? Count(int max) => p.Value.ValueKind == System.Text.Json.JsonValueKind.Null ? null
                : p.Value.ValueKind == System.Text.Json.JsonValueKind.Number && p.Value.TryGetInt32(out var n) && n >= 1 && n <= max ? n
                : throw new LoyaltyException("INVALID_BATCH_SIZE", $"{p.Name} must be a whole number 1-{max}, or null");
            switch (p.Name)
            {
                case "batchSize": batchSize = Count(Loyalty.Chain.Custody.KekRotation.MaxBatchSize) ?? 100; break;
                case "maxBatches": maxBatches = Count(1_000_000); break;
                default: throw new LoyaltyException("UNKNOWN_FIELD", "only batchSize and maxBatches are read; the keys come from configuration");
            }
        }
        return (batchSize, maxBatches);
    }

    private static System.Text.Json.JsonDocument ParseOrRefuse(string text)
    {
        try { return System.Text.Json.JsonDocument.Parse(text, new() { MaxDepth = 8 }); }
        catch (System.Text.Json.JsonException) { throw new LoyaltyException("MALFORMED_JSON", "the body must be a JSON object"); }
    }

    private static ChainTxView View(ChainTx t) => new(t.Id, t.Purpose, t.Reference, t.Status.ToString(), t.Outcome?.ToString(),
        t.Nonce, t.From, t.To, t.ResendCount, t.MinedHash ?? t.Attempts.OrderBy(a => a.Id).LastOrDefault()?.Hash, t.BlockNumber,
        t.BlockHash, t.GasUsed, t.EffectiveGasPrice?.ToString(), t.ErrorCode, t.ErrorMessage, t.CreatedAt, t.UpdatedAt,
        t.Attempts.OrderBy(a => a.Id).Select(a => new AttemptView(a.Hash, a.Nonce, a.MaxFeePerGas.ToString(),
            a.MaxPriorityFeePerGas.ToString(), a.GasLimit, a.IsCancellation, a.CreatedAt)).ToList());

    private static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.RequestServices.GetRequiredService<AdminKeyVerifier>().IsAdminRequest(http))
            throw new LoyaltyException("UNAUTHORIZED", "An admin API key is required (header X-Api-Key).", StatusCodes.Status401Unauthorized);
        return await next(context);
    }
}
