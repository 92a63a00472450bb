using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Limits against scraping and token guessing (section "RateLimits", next to the public limit), per client IP.</summary>
public sealed class AbuseRateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Collectible metadata and images: wallets and marketplaces fetch these, so the budget is larger than the public API's.</summary>
    [Range(1, 1_000_000)] public int MetadataPermitPerMinute { get; set; } = 600;

    /// <summary>Rejected member tokens per minute before every member-token request from that address gets 429.</summary>
    [Range(1, 1_000_000)] public int InvalidMemberTokensPerMinute { get; set; } = 20;
}

public static class RateLimits
{
    public const string MetadataPolicy = "metadata";

    /// <summary>Adds the metadata policy to the rate limiter (whose rejection answer the public policy defines) and the token-failure limiter.</summary>
    public static IServiceCollection AddAbuseRateLimits(this IServiceCollection services)
    {
        services.AddOptions<AbuseRateLimitOptions>().BindConfiguration(AbuseRateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<InvalidTokenLimiter>();
        return services.AddRateLimiter(o => o.AddPolicy(MetadataPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = http.RequestServices.GetRequiredService<IOptions<AbuseRateLimitOptions>>().Value.MetadataPermitPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            })));
    }
}

/// <summary>
/// Counts rejected member tokens per client IP. Tokens are HMACs and cannot be guessed, but an unmetered
/// endpoint that verifies them is a free oracle and a cheap way to burn CPU; past the budget, 429.
/// </summary>
public sealed class InvalidTokenLimiter(IOptions<AbuseRateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(ip =>
        RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.InvalidMemberTokensPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public bool IsExhausted(HttpContext http) => limiter.GetStatistics(Key(http))?.CurrentAvailablePermits <= 0;

    public void CountFailure(HttpContext http)
    {
        using var lease = limiter.AttemptAcquire(Key(http));
    }

    private static string Key(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public void Dispose() => limiter.Dispose();
}
