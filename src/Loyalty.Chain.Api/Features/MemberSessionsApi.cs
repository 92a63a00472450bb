using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Features;

/// <summary>
/// The member portal's sign-in: a member token (from the link the brand's backend made, carried in the URL fragment)
/// or a SIWE signature of the member's linked wallet is swapped for a short-lived session in an HttpOnly,
/// SameSite=Strict cookie. The session is the member's own token in another form: it reaches that member's routes
/// only, and every mutating call made with it must carry the session's CSRF token in X-CSRF-Token.
/// </summary>
/// <remarks>
/// No Idempotency-Key: each sign-in mints a new secret, and a stored replay would keep a live CSRF token in the
/// database and could not set the cookie again.
/// </remarks>
public static class MemberSessionsApi
{
    public sealed record TokenSignIn(string? Token);
    public sealed record SiweChallengeRequest(long? ProgramId, string? Address);
    public sealed record SiweSignIn(long? ProgramId, string? Message, string? Signature);
    public sealed record SessionView(long ProgramId, string MemberId, string CsrfToken, DateTimeOffset ExpiresAt, string Method);

    public static RouteGroupBuilder MapMemberSessions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/member-sessions").WithTags("Member sessions");
        group.MapPost("/", SignInWithTokenAsync);
        group.MapGet("/current", CurrentAsync);
        group.MapDelete("/current", SignOutAsync);
        group.MapPost("/siwe/challenge", SiweChallengeAsync);
        group.MapPost("/siwe", SignInWithSiweAsync);
        return group;
    }

    private static async Task<Ok<SessionView>> SignInWithTokenAsync(HttpContext http, TokenSignIn request, MemberTokens tokens,
        InvalidTokenLimiter failures, MemberSessions sessions, CancellationToken ct)
    {
        if (failures.IsExhausted(http))
            throw new LoyaltyException("RATE_LIMITED", "too many invalid member tokens from this address; retry later", StatusCodes.Status429TooManyRequests);
        var named = request.Token is { } t ? await tokens.ValidateAsync(t, ct) : null;
        var principal = named is { } n ? await ApiAuth.MemberAsync(http, n.ProgramId, n.MemberKey) : null;
        if (principal is null)
        {
            failures.CountFailure(http);
            throw new LoyaltyException("INVALID_MEMBER_TOKEN", "the sign-in link is invalid or has expired; ask for a new one", StatusCodes.Status401Unauthorized);
        }
        return TypedResults.Ok(await OpenAsync(http, sessions, principal.ProgramId!.Value, principal.MemberKey!.Value, principal.MemberId!, "token", ct));
    }

    private static async Task<Ok<SessionView>> CurrentAsync(HttpContext http, MemberSessions sessions, CancellationToken ct)
    {
        var session = await sessions.FindAsync(http.Request.Cookies[MemberSessions.CookieName], ct) ?? throw NoSession();
        var member = await ApiAuth.MemberAsync(http, session.ProgramId, session.MemberId) ?? throw NoSession();
        // A reloaded page has lost its CSRF token: a same-origin read gives it a new one (CORS keeps other sites out).
        var csrf = await sessions.RenewCsrfAsync(session, ct);
        return TypedResults.Ok(new SessionView(session.ProgramId, member.MemberId!, csrf, new DateTimeOffset(session.ExpiresAt, TimeSpan.Zero), session.Method));
    }

    private static async Task<NoContent> SignOutAsync(HttpContext http, MemberSessions sessions, CancellationToken ct)
    {
        var session = await sessions.FindAsync(http.Request.Cookies[MemberSessions.CookieName], ct) ?? throw NoSession();
        if (!MemberSessions.CsrfMatches(session, http.Request.Headers[MemberSessions.CsrfHeader].FirstOrDefault()))
            throw ApiAuth.CsrfRefused();
        await sessions.EndAsync(session, ct);
        http.Response.Cookies.Delete(MemberSessions.CookieName, CookieOptions(http, DateTimeOffset.UnixEpoch));
        http.Response.Cookies.Delete(SignedInFlag, FlagOptions(http, DateTimeOffset.UnixEpoch));
        return TypedResults.NoContent();
    }

    /// <summary>A sign-in message for the wallet linked to a member; the statement names no member (it is shown to the wallet's owner).</summary>
    private static async Task<Ok<WalletsApi.Challenge>> SiweChallengeAsync(HttpContext http, SiweChallengeRequest request, LoyaltyDbContext db,
        WalletLinkService links, IOptions<WalletOptions> wallets, Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var (program, member) = await LinkedMemberAsync(http, db, request.ProgramId, request.Address, ct);
        var nonce = await links.IssueNonceAsync(program.Id, member.Id, request.Address!, ct);
        var message = new SiweMessage
        {
            Domain = wallets.Value.SiweDomain,
            Address = Nethereum.Util.AddressUtil.Current.ConvertToChecksumAddress(request.Address),
            Statement = $"Sign in to my {program.Name} loyalty account.",
            Uri = wallets.Value.SiweUri,
            ChainId = chain.ChainId,
            Nonce = nonce.Nonce,
            IssuedAt = new DateTimeOffset(nonce.IssuedAt, TimeSpan.Zero),
            ExpirationTime = new DateTimeOffset(nonce.ExpiresAt, TimeSpan.Zero),
        };
        return TypedResults.Ok(new WalletsApi.Challenge(message.ToString(), nonce.Nonce, nonce.ExpiresAt));
    }

    private static async Task<Ok<SessionView>> SignInWithSiweAsync(HttpContext http, SiweSignIn request, LoyaltyDbContext db, WalletLinkService links,
        IOptions<WalletOptions> wallets, Chain.ChainOptionsAccessor chain, MemberSessions sessions, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Message) || string.IsNullOrWhiteSpace(request.Signature) || request.Message.Length > 4096)
            throw new LoyaltyException("SIWE_MALFORMED", "message and signature are required");
        SiweMessage parsed;
        try { parsed = SiweMessage.Parse(request.Message); }
        catch (FormatException) { throw new LoyaltyException("SIWE_MALFORMED", "the message is not an EIP-4361 sign-in message", 401); }
        var (program, member) = await LinkedMemberAsync(http, db, request.ProgramId, parsed.Address, ct);
        // The nonce is bound to this member and address; VerifyAsync consumes it once. Signing in links nothing: the
        // withdrawal cool-off keeps running from the link.
        await links.VerifyAsync(program.Id, member.Id, request.Message, request.Signature, wallets.Value.SiweDomain, chain.ChainId, ct,
            linksWallet: false);
        await MemberBlocks.EnsureNotBlockedAsync(db, member.Id, ct);
        return TypedResults.Ok(await OpenAsync(http, sessions, program.Id, member.Id, member.ExternalId, "siwe", ct));
    }

    private static async Task<(Loyalty.Chain.Programs.LoyaltyProgram, Member)> LinkedMemberAsync(HttpContext http, LoyaltyDbContext db, long? programId,
        string? address, CancellationToken ct)
    {
        if (address is null || !Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(address))
            throw new LoyaltyException("INVALID_ADDRESS", "address must be a 0x-prefixed 20-byte hex address");
        var program = programId is { } id ? await http.RequestServices.GetRequiredService<ProgramCache>().GetAsync(http, id) : null;
        if (program is null) throw new LoyaltyException("UNKNOWN_PROGRAM", "no such program", StatusCodes.Status404NotFound);
        var lower = address.ToLowerInvariant();
        var member = await db.Set<Member>().AsNoTracking()
            .SingleOrDefaultAsync(m => m.ProgramId == program.Id && m.WalletAddress == lower && m.WalletKind == WalletKind.SelfCustody, ct)
            ?? throw new LoyaltyException("NO_LINKED_WALLET", "no member of this program has linked this wallet", StatusCodes.Status404NotFound);
        return (program, member);
    }

    private static async Task<SessionView> OpenAsync(HttpContext http, MemberSessions sessions, long programId, long memberKey, string memberId,
        string method, CancellationToken ct)
    {
        var opened = await sessions.OpenAsync(programId, memberKey, method, ct);
        http.Response.Cookies.Append(MemberSessions.CookieName, opened.Secret, CookieOptions(http, opened.ExpiresAt));
        http.Response.Cookies.Append(SignedInFlag, "1", FlagOptions(http, opened.ExpiresAt));
        http.Response.Headers.CacheControl = "no-store";
        return new SessionView(programId, memberId, opened.Csrf, opened.ExpiresAt, method);
    }

    /// <summary>
    /// A cookie the page can read, holding no secret: it only tells the portal that a session may exist, so a page
    /// opened without one does not ask <c>GET /current</c> and draw a 401 (a console error) on every first visit.
    /// </summary>
    public const string SignedInFlag = "lc_signed_in";

    private static CookieOptions FlagOptions(HttpContext http, DateTimeOffset expires) => new()
    {
        HttpOnly = false,
        Secure = http.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static CookieOptions CookieOptions(HttpContext http, DateTimeOffset expires) => new()
    {
        HttpOnly = true,
        Secure = http.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static LoyaltyException NoSession() =>
        new("UNAUTHORIZED", "no live member session; sign in again", StatusCodes.Status401Unauthorized);
}
