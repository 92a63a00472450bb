using Loyalty.Chain.Access;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// API-key authorisation for program routes. The key comes in the X-Api-Key header; the bootstrap admin key
/// (configuration, hashed) may do everything, a program key only what its role allows in its own program.
/// No key or an unknown key: 401. A key of another program, or a role that may not: 403. Never data.
/// </summary>
public static class ApiAuth
{
    private const string ProgramItem = "lc.program";
    private const string PrincipalItem = "lc.principal";

    public static ApiPrincipal Caller(this HttpContext http) =>
        http.Items[PrincipalItem] as ApiPrincipal ?? throw new InvalidOperationException("RequireProgramRole missing on this endpoint");

    public static async Task<ApiPrincipal?> AuthenticateAsync(HttpContext http)
    {
        var bearer = http.Request.Headers.Authorization.FirstOrDefault();
        if (bearer is not null && bearer.StartsWith("Bearer " + MemberTokens.Prefix, StringComparison.Ordinal))
        {
            // Checking a token is one HMAC: a valid one always passes, so many members behind one NAT or proxy are not
            // locked out by someone else's bad tokens; only further invalid ones from that address are refused.
            var named = await http.RequestServices.GetRequiredService<MemberTokens>().ValidateAsync(bearer["Bearer ".Length..], http.RequestAborted);
            if (named is { } n) return await MemberAsync(http, n.ProgramId, n.MemberKey);
            var failures = http.RequestServices.GetRequiredService<InvalidTokenLimiter>();
            if (failures.IsExhausted(http))
                throw new LoyaltyException("RATE_LIMITED", "too many invalid member tokens from this address; retry later", StatusCodes.Status429TooManyRequests);
            failures.CountFailure(http);
            return null;
        }
        var presented = http.Request.Headers["X-Api-Key"].FirstOrDefault();
        if (string.IsNullOrEmpty(presented) && http.Request.Cookies[MemberSessions.CookieName] is { } cookie) return await SessionAsync(http, cookie);
        if (string.IsNullOrEmpty(presented) || presented.Length > 200) return null;
        if (http.RequestServices.GetRequiredService<AdminKeyVerifier>().IsAdminKey(presented)) return new ApiPrincipal(null, ApiRole.Admin, null);
        return await http.RequestServices.GetRequiredService<ApiKeyService>().AuthenticateAsync(presented, http.RequestAborted);
    }

    /// <summary>
    /// The portal's session cookie as the member's own token. A cookie rides along on any request the browser sends,
    /// so a call that changes something must also carry the session's CSRF token, which only the page can read.
    /// </summary>
    private static async Task<ApiPrincipal?> SessionAsync(HttpContext http, string cookie)
    {
        var session = await http.RequestServices.GetRequiredService<MemberSessions>().FindAsync(cookie, http.RequestAborted);
        if (session is null) return null;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            && !MemberSessions.CsrfMatches(session, http.Request.Headers[MemberSessions.CsrfHeader].FirstOrDefault()))
            throw CsrfRefused();
        return await MemberAsync(http, session.ProgramId, session.MemberId);
    }

    /// <summary>
    /// The member a token or session names, by internal id, with its external id as it is now; null (401) when the member
    /// is gone or forgotten. A token never reaches another member that later took the same customer id.
    /// </summary>
    public static async Task<ApiPrincipal?> MemberAsync(HttpContext http, long programId, long memberKey)
    {
        var db = http.RequestServices.GetRequiredService<LoyaltyDbContext>();
        var externalId = await db.Set<Loyalty.Chain.Members.Member>().AsNoTracking()
            .Where(m => m.Id == memberKey && m.ProgramId == programId).Select(m => m.ExternalId).SingleOrDefaultAsync(http.RequestAborted);
        if (externalId is null || externalId == Loyalty.Chain.Members.MemberService.Pseudonym(memberKey)) return null;
        return new ApiPrincipal(programId, ApiRole.Member, null, externalId, memberKey);
    }

    public static LoyaltyException CsrfRefused() =>
        new("CSRF_TOKEN_REQUIRED", "a call made with the session cookie must carry the session's X-CSRF-Token", StatusCodes.Status403Forbidden);

    /// <summary>Only the deployment's bootstrap admin (creating programs).</summary>
    public static TBuilder RequireRoot<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiAuthMetadata(true, [])).AddEndpointFilter(async (context, next) =>
        {
            var principal = await AuthenticateAsync(context.HttpContext) ?? throw Unauthorized();
            if (!principal.IsRoot) throw new LoyaltyException("FORBIDDEN", "only the deployment admin may do this", StatusCodes.Status403Forbidden);
            return await next(context);
        });

    /// <summary>A key of the route's program with one of <paramref name="roles"/>; loads the program for the handler.</summary>
    public static TBuilder RequireProgramRole<TBuilder>(this TBuilder builder, params ApiRole[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiAuthMetadata(false, roles)).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var principal = await AuthenticateAsync(http) ?? throw Unauthorized();
            if (!long.TryParse(http.Request.RouteValues["programId"]?.ToString(), out var programId))
                throw new LoyaltyException("UNKNOWN_PROGRAM", "no such program", StatusCodes.Status404NotFound);
            if (!principal.IsRoot && (principal.ProgramId != programId || !roles.Contains(principal.Role)))
                throw new LoyaltyException("FORBIDDEN", "this key may not do this in this program", StatusCodes.Status403Forbidden);
            if (principal.Role == ApiRole.Member && !await OwnsRouteAsync(http, principal, programId))
                throw new LoyaltyException("FORBIDDEN", "a member token acts for its own member only", StatusCodes.Status403Forbidden);
            var program = await http.RequestServices.GetRequiredService<ProgramCache>().GetAsync(http, programId)
                          ?? throw new LoyaltyException("UNKNOWN_PROGRAM", "no such program", StatusCodes.Status404NotFound);
            http.Items[ProgramItem] = program;
            http.Items[PrincipalItem] = principal;
            return await next(context);
        });

    /// <summary>A member token reaches only routes about its own member (or that member's redemptions).</summary>
    private static async Task<bool> OwnsRouteAsync(HttpContext http, ApiPrincipal principal, long programId)
    {
        var route = http.Request.RouteValues;
        if (route["memberId"] is string memberId) return memberId == principal.MemberId;
        if (long.TryParse(route["redemptionId"]?.ToString(), out var redemptionId))
        {
            var db = http.RequestServices.GetRequiredService<LoyaltyDbContext>();
            var owner = await db.Set<Loyalty.Chain.Redemption.Redemption>().AsNoTracking()
                .Where(r => r.Id == redemptionId && r.ProgramId == programId).Select(r => (long?)r.MemberId).SingleOrDefaultAsync(http.RequestAborted);
            return owner is not null && owner == principal.MemberKey;
        }
        // A program-wide read a member may see (causes, the leaderboard): any member of the program.
        return http.GetEndpoint()?.Metadata.GetMetadata<AnyMemberOfProgram>() is not null;
    }

    /// <summary>Marks a route without a member in it that any member token of the program may reach (a read such as the leaderboard).</summary>
    public sealed class AnyMemberOfProgram;

    public static TBuilder AllowAnyMemberOfProgram<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AnyMemberOfProgram());

    public static LoyaltyProgram Program(this HttpContext http) =>
        http.Items[ProgramItem] as LoyaltyProgram ?? throw new InvalidOperationException("RequireProgramRole missing on this endpoint");

    private static LoyaltyException Unauthorized() =>
        new("UNAUTHORIZED", "a valid API key is required in the X-Api-Key header", StatusCodes.Status401Unauthorized);
}
