using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Features;

/// <summary>
/// Section "Health": <see cref="Instance"/> is a value the starter of this process chose (scripts/run.sh passes a random one);
/// the rest are the thresholds of GET /health/ready.
/// </summary>
public sealed class HealthOptions
{
    public const string Section = "Health";
    public string? Instance { get; set; }
    /// <summary>How long one reading of the node (chain id, operator balance) answers probes, so a prober cannot hammer the node.</summary>
    public TimeSpan NodeCacheFor { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>A node that has not answered within this is failed.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>Operator (gas payer) balance below this fails readiness (wei, decimal string); default Chain:MinOperatorBalanceWei.</summary>
    public string? MinOperatorBalanceWei { get; set; }
    /// <summary>The oldest Queued ChainTx older than this fails readiness.</summary>
    public TimeSpan MaxPipelineBacklogAge { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Alert codes that fail readiness while open; other open alerts are only counted.</summary>
    public List<string> CriticalAlertCodes { get; set; } = [];
}

/// <summary>
/// Liveness for scripts and load balancers. It answers the per-start <c>instance</c> value, so whoever started the
/// process can tell it is talking to that process and not to another one that took the port; and it reads the
/// database, so an instance that cannot reach its ledger says so (503, DATABASE_UNAVAILABLE) instead of "ok".
/// </summary>
public static class HealthApi
{
    public sealed record HealthView(string Status, string? Instance);

    public static RouteHandlerBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapLoyaltyHealthChecks();
        return routes.MapGet("/health", CheckAsync).WithTags("Health");
    }

    private static async Task<Ok<HealthView>> CheckAsync(LoyaltyDbContext db, IOptions<HealthOptions> options, ILoggerFactory logs,
        CancellationToken ct)
    {
        try
        {
            // A real table: an empty or foreign database file opens fine but has none of ours.
            await db.Database.ExecuteSqlRawAsync("SELECT 1 FROM \"__EFMigrationsHistory\" LIMIT 1", ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logs.CreateLogger(typeof(HealthApi)).LogError("Health check: the database is unreachable ({Error})", ex.GetType().Name);
            throw new LoyaltyException("DATABASE_UNAVAILABLE", "the database cannot be read", StatusCodes.Status503ServiceUnavailable);
        }
        return TypedResults.Ok(new HealthView("ok", options.Value.Instance));
    }
}
