using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Api.Features;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// GET /health/live (the process answers: no dependency is read) and GET /health/ready (database, node and its chain id,
/// operator balance, every running program's sending keys, pipeline backlog, open alerts), answered as {"status":"ready|not_ready","checks":{name:{status,detail}}}
/// with 503 when any check fails.
/// </summary>
public static class LoyaltyHealthChecks
{
    public const string Database = "database", Node = "node", OperatorBalance = "operatorBalance", ProgramKeys = "programKeys",
        PipelineBacklog = "pipelineBacklog", Alerts = "alerts";

    /// <summary>Open alerts of these codes fail readiness unless Health:CriticalAlertCodes names others.</summary>
    public static readonly string[] DefaultCriticalAlerts =
    [
        NodeMonitor.RpcUnavailableAlert, SenderHealth.OutOfFundsAlert, TransactionConfirmer.NonceLostAlert,
        Loyalty.Chain.Indexer.TransferIndexer.DeepReorgAlert, Loyalty.Chain.Settlement.Reconciler.DriftAlert,
    ];

    public static IServiceCollection AddLoyaltyHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<ChainProbe>();
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>(Database)
            .AddCheck<NodeCheck>(Node)
            .AddCheck<OperatorBalanceCheck>(OperatorBalance)
            .AddCheck<ProgramKeysCheck>(ProgramKeys)
            .AddCheck<PipelineBacklogCheck>(PipelineBacklog)
            .AddCheck<AlertsCheck>(Alerts);
        return services;
    }

    public static void MapLoyaltyHealthChecks(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (http, _) => http.Response.WriteAsJsonAsync(new { status = "live" }),
        }).WithMetadata(new HttpMethodMetadata(["GET"]));
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadyAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET"]));
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static Task WriteReadyAsync(HttpContext http, HealthReport report)
    {
        http.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status == HealthStatus.Healthy ? "ready" : "not_ready",
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status == HealthStatus.Healthy ? "ok" : "fail",
                detail = e.Value.Description ?? e.Value.Exception?.GetType().Name,
            }),
        };
        return http.Response.WriteAsJsonAsync(body, Json);
    }
}

/// <summary>The ledger database answers with our schema (an empty or foreign file opens fine but has no migrations table).</summary>
internal sealed class DatabaseCheck(LoyaltyDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT 1 FROM \"__EFMigrationsHistory\" LIMIT 1", ct);
            return HealthCheckResult.Healthy($"{(db.IsSqlite ? "SQLite" : "PostgreSQL")} answers");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the database cannot be read ({ex.GetType().Name})");
        }
    }
}

/// <summary>
/// One reading of the node shared by the node, operator-balance and program-key checks and kept for Health:NodeCacheFor:
/// probes every second from several load balancers still cost the node one eth_chainId, one eth_getBalance and one
/// batch of the program keys' balances (<see cref="ProgramKeyBalances"/>) per period.
/// </summary>
public sealed class ChainProbe(Web3Factory web3, IServiceScopeFactory scopes, ProgramKeyBalances programKeys, IOptions<HealthOptions> options, TimeProvider time)
{
    public sealed record Reading(DateTime At, long? ChainId, BigInteger? OperatorBalance, string? OperatorAddress, string? Error,
        IReadOnlyList<ProgramKeyBalance>? ProgramKeys = null, string? ProgramKeysError = null);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Reading? _last;
    private string? _operator;

    public async Task<Reading> ReadAsync(CancellationToken ct)
    {
        if (Fresh(_last) is { } cached) return cached;
        await _gate.WaitAsync(ct);
        try
        {
            // Whoever waited behind the reader takes its reading.
            if (Fresh(_last) is { } read) return read;
            return _last = await ReadNodeAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Reading? Fresh(Reading? r) => r is not null && time.GetUtcNow().UtcDateTime - r.At < options.Value.NodeCacheFor ? r : null;

    private async Task<Reading> ReadNodeAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        long? chainId = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.NodeTimeout);
            chainId = (long)(await web3.Get().Eth.ChainId.SendRequestAsync().WaitAsync(timeout.Token)).Value;
            if (_operator is null)
            {
                using var scope = scopes.CreateScope();
                _operator = await scope.ServiceProvider.GetRequiredService<CustodyService>()
                    .GetOrCreateServiceKeyAsync(Loyalty.Chain.Programs.ProgramService.OperatorPurpose, null, timeout.Token);
            }
            var balance = (await web3.Get().Eth.GetBalance.SendRequestAsync(_operator).WaitAsync(timeout.Token)).Value;
            try
            {
                using var scope = scopes.CreateScope();
                var keys = await programKeys.ReadAsync(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>(), timeout.Token);
                return new Reading(now, chainId, balance, _operator, null, keys);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                return new Reading(now, chainId, balance, _operator, null, null, Why(ex));
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new Reading(now, chainId, null, _operator, Why(ex));
        }
    }

    private string Why(Exception ex) => ex is OperationCanceledException or TimeoutException
        ? $"no answer within {options.Value.NodeTimeout.TotalSeconds:0.#} s"
        : RpcErrors.Classify(ex).Message;
}

internal sealed class NodeCheck(ChainProbe probe, Web3Factory web3) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var r = await probe.ReadAsync(ct);
        var expected = web3.Options.ChainId;
        if (r.ChainId is null) return HealthCheckResult.Unhealthy($"the node does not answer: {r.Error}");
        return r.ChainId == expected
            ? HealthCheckResult.Healthy($"chain id {r.ChainId}")
            : HealthCheckResult.Unhealthy($"the node serves chain id {r.ChainId}, configured Chain:ChainId is {expected}");
    }
}

internal sealed class OperatorBalanceCheck(ChainProbe probe, Web3Factory web3, IOptions<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var r = await probe.ReadAsync(ct);
        var minimum = BigInteger.Parse(options.Value.MinOperatorBalanceWei ?? web3.Options.MinOperatorBalanceWei, CultureInfo.InvariantCulture);
        if (r.OperatorBalance is not { } balance) return HealthCheckResult.Unhealthy($"the operator balance cannot be read: {r.Error}");
        return balance >= minimum
            ? HealthCheckResult.Healthy($"{r.OperatorAddress} holds {balance} wei (minimum {minimum})")
            : HealthCheckResult.Unhealthy($"{r.OperatorAddress} holds {balance} wei, below the minimum {minimum}: fund it");
    }
}

/// <summary>
/// Every running program's sending keys (relayer, a draining retired relayer, the service admin until the hand-over) hold at
/// least Health:MinProgramKeyBalanceWei; the detail names each short one by program id, role and address.
/// </summary>
internal sealed class ProgramKeysCheck(ChainProbe probe, ProgramKeyBalances programKeys) : IHealthCheck
{
    /// <summary>A detail naming thousands of keys helps nobody: the first few, then a count.</summary>
    public const int Named = 10;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var r = await probe.ReadAsync(ct);
        if (r.ProgramKeys is not { } keys) return HealthCheckResult.Unhealthy($"the program keys' balances cannot be read: {r.ProgramKeysError ?? r.Error}");
        var minimum = programKeys.Minimum;
        var low = keys.Where(k => k.Balance < minimum).ToList();
        if (low.Count == 0)
            return HealthCheckResult.Healthy($"{keys.Count} sending keys of {keys.Select(k => k.Key.ProgramId).Distinct().Count()} programs hold at least {minimum} wei");
        var named = string.Join("; ", low.Take(Named).Select(k => $"program {k.Key.ProgramId} {k.Key.Role} {k.Key.Address} holds {k.Balance} wei"));
        var more = low.Count > Named ? $"; and {low.Count - Named} more" : "";
        return HealthCheckResult.Unhealthy($"{low.Count} of {keys.Count} program keys below the minimum {minimum} wei: {named}{more}: fund them");
    }
}

internal sealed class PipelineBacklogCheck(LoyaltyDbContext db, IOptions<HealthOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var oldest = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Status == ChainTxStatus.Queued)
            .MinAsync(t => (DateTime?)t.CreatedAt, ct);
        if (oldest is null) return HealthCheckResult.Healthy("no transaction waits to be sent");
        var age = time.GetUtcNow().UtcDateTime - oldest.Value;
        var max = options.Value.MaxPipelineBacklogAge;
        return age <= max
            ? HealthCheckResult.Healthy($"oldest queued transaction {age.TotalSeconds:0} s old (maximum {max.TotalSeconds:0} s)")
            : HealthCheckResult.Unhealthy($"oldest queued transaction {age.TotalSeconds:0} s old, over the maximum {max.TotalSeconds:0} s");
    }
}

internal sealed class AlertsCheck(LoyaltyDbContext db, IOptions<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var critical = options.Value.CriticalAlertCodes is { Count: > 0 } codes ? codes.ToArray() : LoyaltyHealthChecks.DefaultCriticalAlerts;
        var open = await db.Set<Alert>().AsNoTracking().Where(a => a.ResolvedAt == null)
            .GroupBy(a => a.Code).Select(g => new { Code = g.Key, Count = g.Count() }).ToListAsync(ct);
        var total = open.Sum(o => o.Count);
        var failing = open.Where(o => critical.Contains(o.Code)).Select(o => $"{o.Code} x{o.Count}").ToList();
        return failing.Count == 0
            ? HealthCheckResult.Healthy($"{total} open alerts, none critical")
            : HealthCheckResult.Unhealthy($"{total} open alerts, critical: {string.Join(", ", failing)} (GET /v1/admin/alerts?open=true)");
    }
}
