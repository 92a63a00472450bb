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
        group.MapPost("/members/{memberId}/wallet/link", LinkAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency("wallet-link");
        group.MapPost("/members/{memberId}/wallet/export", ExportMemberAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/custody/seed-export", ExportSeedAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/members/{memberId}/withdrawals", WithdrawAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency("withdrawals");
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
        var nonce = await links.IssueNonceAsync(program.Id, ct);
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
        WalletLinkService links, LoyaltyDbContext db, IOptions<WalletOptions> wallets, Chain.ChainOptionsAccessor chain, CancellationToken ct)
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
        var address = (await links.VerifyAsync(program.Id, request.Message, request.Signature, wallets.Value.SiweDomain, chain.ChainId, ct))
            .ToLowerInvariant();
        if (await db.Set<Member>().AnyAsync(m => m.ProgramId == program.Id && m.Id != member.Id && m.WalletAddress == address, ct))
            throw new LoyaltyException("WALLET_IN_USE", "this wallet is linked to another member of the program", 409);
        await db.Set<Member>().Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u
            .SetProperty(m => m.WalletAddress, address).SetProperty(m => m.WalletKind, WalletKind.SelfCustody), ct);
        var linked = await members.GetAsync(program.Id, memberId, ct);
        return TypedResults.Ok(await MembersApi.ViewAsync(db, linked, ct));
    }

    public sealed record WithdrawalView(long Id, string Asset, string Amount, string? TokenId, string From, string To, long ChainTxId);

    /// <summary>Moves everything movable from the member's custodial wallet to their linked wallet; the operator pays gas.</summary>
    private static async Task<Accepted<List<WithdrawalView>>> WithdrawAsync(HttpContext http, string memberId, MemberService members,
        Loyalty.Chain.Redemption.WithdrawalService withdrawals, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var staged = await withdrawals.WithdrawAllAsync(program, member, ct);
        return TypedResults.Accepted($"/v1/programs/{program.Id}/members/{memberId}",
            staged.Select(w => new WithdrawalView(w.Id, w.Asset, w.Amount.ToString(), w.TokenId, w.From, w.To, w.ChainTxId)).ToList());
    }

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

/// <summary>Wallet linking settings (section "Wallets"): the site members sign in to.</summary>
public sealed class WalletOptions
{
    public const string Section = "Wallets";
    public string SiweDomain { get; set; } = "loyalty.localhost";
    public string SiweUri { get; set; } = "https://loyalty.localhost";
}
