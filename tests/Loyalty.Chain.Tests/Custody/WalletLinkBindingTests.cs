using Loyalty.Chain.Custody;
using Microsoft.EntityFrameworkCore;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

/// <summary>A SIWE nonce is bound to the member and the address it was issued for, and expired ones do not pile up.</summary>
public sealed class WalletLinkBindingTests : IDisposable
{
    private const string Domain = "shop.example.com";
    private const long ChainId = 31337;
    private readonly CustodyTestEnvironment env = new();
    private readonly EthECKey wallet = EthECKey.GenerateKey();

    [Fact]
    public async Task Verify_WithANonceIssuedForAnotherMember_FailsWithNonceMismatchAndLeavesTheNonceUnused()
    {
        var links = env.NewWalletLinkService();
        var nonce = await links.IssueNonceAsync(1, memberId: 10, wallet.GetPublicAddress());
        var (message, signature) = Sign(nonce.Nonce, wallet);

        var error = await Assert.ThrowsAsync<CustodyException>(() => links.VerifyAsync(1, 11, message, signature, Domain, ChainId));

        Assert.Equal(CustodyErrorCodes.SiweNonceMismatch, error.Code);
        await using var db = env.NewContext();
        Assert.Null((await db.Set<SiweNonce>().SingleAsync()).UsedAt);
    }

    [Fact]
    public async Task Verify_WithANonceIssuedForAnotherAddress_FailsWithNonceMismatch()
    {
        var links = env.NewWalletLinkService();
        var nonce = await links.IssueNonceAsync(1, 10, wallet.GetPublicAddress());
        var attacker = EthECKey.GenerateKey();
        var (message, signature) = Sign(nonce.Nonce, attacker);

        var error = await Assert.ThrowsAsync<CustodyException>(() => links.VerifyAsync(1, 10, message, signature, Domain, ChainId));

        Assert.Equal(CustodyErrorCodes.SiweNonceMismatch, error.Code);
    }

    [Fact]
    public async Task Verify_ForTheMemberAndAddressItWasIssuedFor_RecordsWhenTheWalletWasLinked()
    {
        var links = env.NewWalletLinkService();
        var nonce = await links.IssueNonceAsync(1, 10, wallet.GetPublicAddress());
        var (message, signature) = Sign(nonce.Nonce, wallet);

        await links.VerifyAsync(1, 10, message, signature, Domain, ChainId);

        Assert.Equal(env.Time.GetUtcNow().UtcDateTime, await links.LinkedAtAsync(10, wallet.GetPublicAddress()));
        Assert.Null(await links.LinkedAtAsync(11, wallet.GetPublicAddress()));
    }

    [Fact]
    public async Task IssueNonce_DeletesExpiredUnusedNonces_AndKeepsUsedOnes()
    {
        var links = env.NewWalletLinkService();
        var used = await links.IssueNonceAsync(1, 10, wallet.GetPublicAddress());
        var (message, signature) = Sign(used.Nonce, wallet);
        await links.VerifyAsync(1, 10, message, signature, Domain, ChainId);
        var abandoned = await links.IssueNonceAsync(1, 10, wallet.GetPublicAddress());
        env.Time.Advance(TimeSpan.FromHours(1));

        var fresh = await links.IssueNonceAsync(1, 10, wallet.GetPublicAddress());

        await using var db = env.NewContext();
        var left = await db.Set<SiweNonce>().Select(n => n.Nonce).ToListAsync();
        Assert.Contains(used.Nonce, left);
        Assert.Contains(fresh.Nonce, left);
        Assert.DoesNotContain(abandoned.Nonce, left);
    }

    private (string Message, string Signature) Sign(string nonce, EthECKey signer)
    {
        var text = new SiweMessage
        {
            Scheme = "https", Domain = Domain, Address = signer.GetPublicAddress(), Statement = "Link this wallet.",
            Uri = $"https://{Domain}/wallet", ChainId = ChainId, Nonce = nonce, IssuedAt = env.Time.GetUtcNow(),
            ExpirationTime = env.Time.GetUtcNow().AddMinutes(5),
        }.ToString();
        return (text, new EthereumMessageSigner().EncodeUTF8AndSign(text, signer));
    }

    public void Dispose() => env.Dispose();
}
