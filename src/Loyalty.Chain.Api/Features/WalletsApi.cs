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
/// Self-custody wallets (Sign-In-With-Ethereum linking) and sunset exports of custodial keys.
/// The service never sees a self-custody member's key: the member signs the challenge in their own wallet.
/// </summary>
public static class WalletsApi
{
    public sealed record ChallengeRequest(string? Address);
    public sealed record Challenge(string Message, string Nonce, DateTime ExpiresAt);
    public sealed record LinkRequest(string? Message, string? Signature);
    public sealed record ExportRequest(string? Password);

    public static RouteGroupBuilder MapWallets(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Wallets");
        group.MapPost("/members/{memberId}/wallet/challenge", ChallengeAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency("wallet-challenge");
        // Moving assets needs the member's own token (or an admin, audited): a leaked shop key must not reach them.
        group.MapPost("/members/{memberId}/wallet/link", LinkAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member)
            .WithIdempotency("wallet-link");
        group.MapPost("/members/{memberId}/wallet/export", ExportMemberAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/custody/seed-export", ExportSeedAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/members/{memberId}/withdrawals", WithdrawAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member)
            .WithIdempotency("withdrawals");
        group.MapGet("/audit/asset-moves", AuditAsync).RequireProgramRole(ApiRole.Admin);
        return group;
    }

    /// <summary>The EIP-4361 message the member signs in their wallet to prove they control <c>address</c>.</summary>
    private static async Task<Ok<Challenge>> ChallengeAsync(HttpContext http, string memberId, ChallengeRequest request, MemberService members,
        WalletLinkService links, IOptions<WalletOptions> wallets, Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        if (request.Address is null || !Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(request.Address))
            throw new LoyaltyException("INVALID_ADDRESS", "address must be a 0x-prefixed 20-byte hex address");
        var nonce = await links.IssueNonceAsync(program.Id, member.Id, request.Address, ct);
        var message = new SiweMessage
        {
            Domain = wallets.Value.SiweDomain,
            Address = Nethereum.Util.AddressUtil.Current.ConvertToChecksumAddress(request.Address),
            Statement = $"Link this wallet to my {program.Name} loyalty account ({member.ExternalId}).",
            Uri = wallets.Value.SiweUri,
            ChainId = chain.ChainId,
            Nonce = nonce.Nonce,
            IssuedAt = new DateTimeOffset(nonce.IssuedAt, TimeSpan.Zero),
            ExpirationTime = new DateTimeOffset(nonce.ExpiresAt, TimeSpan.Zero),
        };
        return TypedResults.Ok(new Challenge(message.ToString(), nonce.Nonce, nonce.ExpiresAt));
    }

    /// <summary>Verifies the signed challenge; from then on the member's points are minted to that wallet.</summary>
    private static async Task<Ok<MembersApi.MemberView>> LinkAsync(HttpContext http, string memberId, LinkRequest request, MemberService members,
        WalletLinkService links, LoyaltyDbContext db, IOptions<WalletOptions> wallets, Chain.ChainOptionsAccessor chain, TimeProvider time,
        CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        if (string.IsNullOrWhiteSpace(request.Message) || string.IsNullOrWhiteSpace(request.Signature) || request.Message.Length > 4096)
            throw new LoyaltyException("SIWE_MALFORMED", "message and signature are required");
        // The signed text names the member: a signature obtained for one member cannot link another.
        SiweMessage parsed;
        try { parsed = SiweMessage.Parse(request.Message); }
        catch (FormatException) { throw new LoyaltyException("SIWE_MALFORMED", "the message is not an EIP-4361 sign-in message", 401); }
        if (parsed.Statement?.Contains($"({member.ExternalId})", StringComparison.Ordinal) != true)
            throw new LoyaltyException("SIWE_WRONG_MEMBER", "the signed message was issued for another member", 401);
        var actor = AdminActor(http.Caller());
        // The nonce, the link and its audit row commit together: a refused link leaves the nonce unused.
        await db.InWriteTransactionAsync(async c =>
        {
            await MemberBlocks.EnsureNotBlockedAsync(db, member.Id, c);
            var address = (await links.VerifyAsync(program.Id, member.Id, request.Message, request.Signature, wallets.Value.SiweDomain, chain.ChainId, c))
                .ToLowerInvariant();
            if (await db.Set<Member>().AnyAsync(m => m.ProgramId == program.Id && m.Id != member.Id && m.WalletAddress == address, c))
                throw new LoyaltyException("WALLET_IN_USE", "this wallet is linked to another member of the program", 409);
            await db.Set<Member>().Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.WalletAddress, address).SetProperty(m => m.WalletKind, WalletKind.SelfCustody), c);
            Loyalty.Chain.Webhooks.WebhookOutbox.Enqueue(db, program.Id, "wallet.linked", member.Id, new { programId = program.Id, memberId = member.ExternalId, address });
            await db.SaveChangesAsync(c);
            if (actor is not null)
            {
                db.Add(new AssetMoveAudit
                {
                    ProgramId = program.Id, MemberId = member.Id, Action = AssetMoveAudit.WalletLink, Actor = actor, Address = address,
                    At = time.GetUtcNow().UtcDateTime,
                });
                await db.SaveChangesAsync(c);
            }
        }, ct);
        var linked = await members.GetAsync(program.Id, memberId, ct);
        return TypedResults.Ok(await MembersApi.ViewAsync(http, db, linked, ct));
    }

    public sealed record WithdrawalView(long Id, string Asset, string Amount, string? TokenId, string From, string To, long ChainTxId);
    /// <summary>Status "Scheduled": nothing moves before <c>ScheduledFor</c> (the cool-off after a link); "Staged": on its way.</summary>
    public sealed record WithdrawalRequestView(long Id, string Status, DateTime ScheduledFor, string To, List<WithdrawalView> Transfers);
    public sealed record AuditView(long Id, string Action, string Actor, string MemberId, string Address, DateTime At);

    /// <summary>Moves everything movable from the member's custodial wallet to their linked wallet; the operator pays gas.</summary>
    private static async Task<Accepted<WithdrawalRequestView>> WithdrawAsync(HttpContext http, string memberId, MemberService members,
        Loyalty.Chain.Redemption.WithdrawalService withdrawals, IOptions<WalletOptions> wallets, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var (request, staged) = await withdrawals.RequestAsync(program, member, wallets.Value.WithdrawalCoolOff, AdminActor(http.Caller()), ct);
        return TypedResults.Accepted($"/v1/programs/{program.Id}/members/{memberId}", new WithdrawalRequestView(request.Id, request.Status.ToString(),
            request.NotBefore, request.To,
            staged.Select(w => new WithdrawalView(w.Id, w.Asset, w.Amount.ToString(), w.TokenId, w.From, w.To, w.ChainTxId)).ToList()));
    }

    /// <summary>Every wallet link and withdrawal an admin made on a member's behalf, newest first.</summary>
    private static async Task<Ok<List<AuditView>>> AuditAsync(HttpContext http, LoyaltyDbContext db, long? before, int? limit, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var take = Math.Clamp(limit ?? 100, 1, 500);
        var rows = await (from a in db.Set<AssetMoveAudit>().AsNoTracking()
                          join m in db.Set<Member>() on a.MemberId equals m.Id
                          where a.ProgramId == programId && (before == null || a.Id < before)
                          orderby a.Id descending
                          select new AuditView(a.Id, a.Action, a.Actor, m.ExternalId, a.Address, a.At)).Take(take).ToListAsync(ct);
        return TypedResults.Ok(rows);
    }

    /// <summary>Who to name in the audit trail when an admin (not the member) moves a member's assets.</summary>
    private static string? AdminActor(ApiPrincipal caller) =>
        caller.Role != ApiRole.Admin ? null : caller.Actor;

    /// <summary>Sunset: the custodial key as an encrypted Web3 Secret Storage keystore, importable in any wallet.</summary>
    private static async Task<ContentHttpResult> ExportMemberAsync(HttpContext http, string memberId, ExportRequest request,
        MemberService members, CustodyService custody, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        if (member.CustodialIndex is not { } index) throw new LoyaltyException("NO_CUSTODIAL_WALLET", "this member never had a custodial wallet", 409);
        var keystore = await custody.ExportMemberKeystoreAsync(program.Id, index, Password(request), ct);
        return TypedResults.Content(keystore, "application/json");
    }

    /// <summary>Sunset: the program seed (all custodial wallets) as an encrypted keystore envelope.</summary>
    private static async Task<ContentHttpResult> ExportSeedAsync(HttpContext http, ExportRequest request, CustodyService custody, CancellationToken ct) =>
        TypedResults.Content(await custody.ExportProgramSeedAsync(http.Program().Id, Password(request), ct), "application/json");

    private static string Password(ExportRequest request) =>
        request.Password is { Length: >= 12 and <= 256 } p ? p
            : throw new LoyaltyException("WEAK_PASSWORD", "the export password must be 12 to 256 characters");
}

/// <summary>Wallet linking settings (section "Wallets"): the site members sign in to, and the withdrawal cool-off.</summary>
public sealed class WalletOptions
{
    public const string Section = "Wallets";
    public string SiweDomain { get; set; } = "loyalty.localhost";
    public string SiweUri { get; set; } = "https://loyalty.localhost";
    /// <summary>How long after a wallet link a withdrawal to it waits (it is accepted and scheduled, not refused).</summary>
    public TimeSpan WithdrawalCoolOff { get; set; } = TimeSpan.FromHours(24);
}
