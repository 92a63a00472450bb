using Loyalty.Chain.Custody;
using Microsoft.EntityFrameworkCore;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

public sealed class WalletLinkServiceTests : IDisposable
{
    private const string Domain = "shop.example.com";
    private const long ChainId = 31337;
    private readonly CustodyTestEnvironment env = new();
    private readonly EthECKey member = EthECKey.GenerateKey();
    private const long MemberId = 7;

    [Fact]
    public async Task IssueNonce_IsLongAlphanumericAndExpiresAfterTheConfiguredLifetime()
    {
        var nonce = await env.NewWalletLinkService().IssueNonceAsync(1, MemberId, member.GetPublicAddress());

        Assert.Matches("^[A-Za-z0-9]{16,}$", nonce.Nonce);
        Assert.Equal(env.Time.GetUtcNow().UtcDateTime + TimeSpan.FromMinutes(10), nonce.ExpiresAt);
    }

    [Fact]
    public async Task Verify_AMessageSignedByItsAddressWithAFreshNonce_ReturnsThatAddressAndConsumesTheNonce()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links);

        var address = await links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId);

        Assert.Equal(member.GetPublicAddress(), address);
        await using var db = env.NewContext();
        var nonce = await db.Set<SiweNonce>().SingleAsync();
        Assert.NotNull(nonce.UsedAt);
        Assert.Equal(address.ToLowerInvariant(), nonce.UsedBy);
    }

    [Fact]
    public async Task Verify_SignedByAnotherKey_FailsWithWrongSigner()
    {
        var links = env.NewWalletLinkService();
        var (message, _) = await SignedMessageAsync(links);
        var forged = new EthereumMessageSigner().EncodeUTF8AndSign(message, EthECKey.GenerateKey());

        await AssertFailsAsync(CustodyErrorCodes.SiweWrongSigner, () => links.VerifyAsync(1, MemberId, message, forged, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_WithANonceNeverIssued_FailsWithNonceUnknown()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = Sign(Message("NeverIssued12345"));

        await AssertFailsAsync(CustodyErrorCodes.SiweNonceUnknown, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_WithANonceIssuedForAnotherProgram_FailsWithNonceUnknown()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links, programId: 2);

        await AssertFailsAsync(CustodyErrorCodes.SiweNonceUnknown, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_TheSameSignedMessageTwice_FailsTheSecondTimeWithNonceReused()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links);
        await links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId);

        await AssertFailsAsync(CustodyErrorCodes.SiweNonceReused, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_ConcurrentlyOnTwoContexts_SucceedsExactlyOnce()
    {
        var (message, signature) = await SignedMessageAsync(env.NewWalletLinkService());
        var first = env.NewWalletLinkService();
        var second = env.NewWalletLinkService();

        var outcomes = await Task.WhenAll(
            Task.Run(() => Outcome(first.VerifyAsync(1, MemberId, message, signature, Domain, ChainId))),
            Task.Run(() => Outcome(second.VerifyAsync(1, MemberId, message, signature, Domain, ChainId))));

        Assert.Single(outcomes, o => o == "ok");
        Assert.Single(outcomes, o => o == CustodyErrorCodes.SiweNonceReused);
    }

    [Fact]
    public async Task Verify_AfterTheNonceLifetime_FailsWithExpired()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links, withExpiration: false);
        env.Time.Advance(TimeSpan.FromMinutes(10));

        await AssertFailsAsync(CustodyErrorCodes.SiweExpired, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_AfterTheMessagesExpirationTime_FailsWithExpired()
    {
        var links = env.NewWalletLinkService();
        var nonce = await links.IssueNonceAsync(1, MemberId, member.GetPublicAddress());
        var (message, signature) = Sign(Message(nonce.Nonce) with { ExpirationTime = env.Time.GetUtcNow().AddMinutes(1) });
        env.Time.Advance(TimeSpan.FromMinutes(2));

        await AssertFailsAsync(CustodyErrorCodes.SiweExpired, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_BeforeTheMessagesNotBeforeTime_FailsWithNotYetValid()
    {
        var links = env.NewWalletLinkService();
        var nonce = await links.IssueNonceAsync(1, MemberId, member.GetPublicAddress());
        var (message, signature) = Sign(Message(nonce.Nonce) with { NotBefore = env.Time.GetUtcNow().AddMinutes(5) });

        await AssertFailsAsync(CustodyErrorCodes.SiweNotYetValid, () => links.VerifyAsync(1, MemberId, message, signature, Domain, ChainId));
    }

    [Fact]
    public async Task Verify_ForAnotherDomain_FailsWithWrongDomain()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links);

        await AssertFailsAsync(CustodyErrorCodes.SiweWrongDomain, () => links.VerifyAsync(1, MemberId, message, signature, "evil.example", ChainId));
    }

    [Fact]
    public async Task Verify_ForAnotherChain_FailsWithWrongChain()
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links);

        await AssertFailsAsync(CustodyErrorCodes.SiweWrongChain, () => links.VerifyAsync(1, MemberId, message, signature, Domain, 1));
    }

    [Theory]
    [InlineData("garbled message", null)]
    [InlineData(null, "0x1234")]
    [InlineData(null, "not hex at all")]
    [InlineData(null, "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData(null, "0x0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Verify_AGarbledMessageOrSignature_FailsWithMalformed(string? messageOverride, string? signatureOverride)
    {
        var links = env.NewWalletLinkService();
        var (message, signature) = await SignedMessageAsync(links);

        await AssertFailsAsync(CustodyErrorCodes.SiweMalformed,
            () => links.VerifyAsync(1, MemberId, messageOverride ?? message, signatureOverride ?? signature, Domain, ChainId));
    }

    private SiweMessage Message(string nonce) => new()
    {
        Scheme = "https",
        Domain = Domain,
        Address = member.GetPublicAddress(),
        Statement = "Link this wallet to your loyalty account.",
        Uri = $"https://{Domain}/wallet",
        ChainId = ChainId,
        Nonce = nonce,
        IssuedAt = env.Time.GetUtcNow(),
    };

    private async Task<(string Message, string Signature)> SignedMessageAsync(WalletLinkService links, long programId = 1, bool withExpiration = true)
    {
        var nonce = await links.IssueNonceAsync(programId, MemberId, member.GetPublicAddress());
        var message = Message(nonce.Nonce);
        return Sign(withExpiration ? message with { ExpirationTime = env.Time.GetUtcNow().AddMinutes(30) } : message);
    }

    private (string Message, string Signature) Sign(SiweMessage message)
    {
        var text = message.ToString();
        return (text, new EthereumMessageSigner().EncodeUTF8AndSign(text, member));
    }

    private static async Task<string> Outcome(Task<string> verification)
    {
        try { await verification; return "ok"; }
        catch (CustodyException e) { return e.Code; }
    }

    private static async Task AssertFailsAsync(string code, Func<Task> act)
    {
        var error = await Assert.ThrowsAsync<CustodyException>(act);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    public void Dispose() => env.Dispose();
}
