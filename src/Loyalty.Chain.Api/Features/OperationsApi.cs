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
