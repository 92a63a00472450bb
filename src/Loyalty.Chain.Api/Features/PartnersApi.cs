using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Partners;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Features;

/// <summary>Limits of the unauthenticated endpoints (section "RateLimits"), per client IP address.</summary>
public sealed class PublicRateLimitOptions
{
    public const string Section = "RateLimits";

    [Range(1, 1_000_000)] public int PublicPermitPerMinute { get; set; } = 60;
}

/// <summary>
/// Partner verification. Public (no key, rate-limited): a holder's balance read from the chain at a pinned block,
/// and the program's attestation key. For partner and admin keys: EIP-712 attestations signed by that key.
/// </summary>
public static class PartnersApi
{
    public const string PublicPolicy = "public";

    public sealed record BalanceView(long ProgramId, long ChainId, string Contract, string Address, string Balance, int Decimals,
        string Symbol, long BlockNumber, string BlockHash);
    public sealed record DomainView(string Name, string Version, long ChainId, string VerifyingContract);
    public sealed record AttestationKeyView(string Address, long ChainId, DomainView Domain);
    public sealed record AttestationRequest(string? Address, string? MinBalance, string? Tier);
    public sealed record AttestationView(JsonObject TypedData, string Signature, string Signer);

    public static RouteGroupBuilder MapPartners(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1").WithTags("Partners");
        group.MapGet("/public/programs/{programId:long}/balances/{address}", BalanceAsync).RequireRateLimiting(PublicPolicy);
        group.MapGet("/public/programs/{programId:long}/attestation-key", KeyAsync).RequireRateLimiting(PublicPolicy);
        group.MapPost("/programs/{programId:long}/attestations", AttestAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Partner);
        return group;
    }

    private static async Task<Ok<BalanceView>> BalanceAsync(long programId, string address, AttestationService partners, CancellationToken ct)
    {
        var holder = AttestationService.NormalizeAddress(address);
        var program = await partners.GetActiveProgramAsync(programId, ct);
        var b = await partners.ReadBalanceAsync(program, holder, ct);
        return TypedResults.Ok(new BalanceView(program.Id, b.ChainId, b.Contract, b.Address, b.Balance.ToString(CultureInfo.InvariantCulture),
            program.Decimals, program.PointSymbol, b.BlockNumber, b.BlockHash));
    }

    private static async Task<Ok<AttestationKeyView>> KeyAsync(long programId, AttestationService partners, CancellationToken ct)
    {
        var program = await partners.GetActiveProgramAsync(programId, ct);
        var contract = Nethereum.Util.AddressUtil.Current.ConvertToChecksumAddress(program.PointsContract);
        return TypedResults.Ok(new AttestationKeyView(await partners.GetAttestationKeyAsync(program, ct), partners.ChainId,
            new DomainView(AttestationService.DomainName, Loyalty.Chain.Chain.LoyaltyTypedData.DomainVersion, partners.ChainId, contract)));
    }

    /// <summary>Read-only (nothing but the signature is produced), so no Idempotency-Key: asking twice just signs twice.</summary>
    private static async Task<Ok<AttestationView>> AttestAsync(HttpContext http, AttestationRequest request, AttestationService partners,
        CancellationToken ct)
    {
        var signed = await partners.AttestAsync(http.Program(), request.Address, request.MinBalance, request.Tier, ct);
        return TypedResults.Ok(new AttestationView(signed.TypedData, signed.Signature, signed.Signer));
    }

    /// <summary>
    /// The "public" policy: a fixed window of <see cref="PublicRateLimitOptions.PublicPermitPerMinute"/> requests per
    /// minute per client IP; over it, 429 problem details with code RATE_LIMITED and Retry-After. Behind a proxy,
    /// configure forwarded headers so the client IP is the real one and not the proxy's.
    /// </summary>
    public static IServiceCollection AddPublicRateLimiter(this IServiceCollection services)
    {
        services.AddOptions<PublicRateLimitOptions>().BindConfiguration(PublicRateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PublicPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<IOptions<PublicRateLimitOptions>>().Value.PublicPermitPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            o.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "RATE_LIMITED",
                        Detail = "Too many requests to the public API from this address; retry later.",
                        Type = "https://loyalty.chain/problems/rate-limited",
                        Extensions = { ["code"] = "RATE_LIMITED" },
                    },
                });
            };
        });
    }
}
