using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The API talks to the node through a proxy that can pin a withdrawal between its chain reads and its write.</summary>
public sealed class GatedRpcProgramFixture : ProgramFixture, IAsyncLifetime
{
    public GatedRpcProxy Proxy { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string>? Settings
    {
        get
        {
            Proxy ??= new GatedRpcProxy(Chain.Chain.Node.RpcUrl);
            return new Dictionary<string, string> { ["Chain:RpcUrl"] = Proxy.Url, ["Wallets:WithdrawalCoolOff"] = "00:00:00" };
        }
    }

    // Re-implemented so xunit's disposal also stops the proxy (ProgramFixture's methods are not virtual).
    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (Proxy is not null) await Proxy.DisposeAsync();
    }
}

/// <summary>
/// Withdraw racing another change of the member: the member row is read under the member lock, after the chain reads,
/// so what was true when the request began (its wallet, no burn in progress) is checked again where it counts.
/// </summary>
public sealed class WithdrawalRaceTests(GatedRpcProgramFixture f) : IClassFixture<GatedRpcProgramFixture>
{
    [Fact]
    public async Task AWalletRelinkedWhileAWithdrawalReadsTheChain_MakesTheWithdrawalRefuse409_AndSendNothingToTheOldWallet()
    {
        var (_, custodial) = await AssetMoveSupport.MemberWithPointsAsync(f, "racer", 40);
        var token = await AssetMoveSupport.TokenAsync(f, "racer");

        var held = f.Proxy.HoldBalanceOf(custodial);
        var withdrawal = AssetMoveSupport.AsMemberAsync(f, token, f.P("/members/racer/withdrawals"));
        await held.WaitAsync(TimeSpan.FromSeconds(30));
        var newWallet = Nethereum.Signer.EthECKey.GenerateKey();
        var challenge = await f.Api.PostAsync(f.P("/members/racer/wallet/challenge"), f.AdminKey, new { address = newWallet.GetPublicAddress() });
        var message = challenge.Body!["message"]!.GetValue<string>();
        var relinked = await f.Api.PostAsync(f.P("/members/racer/wallet/link"), f.AdminKey,
            new { message, signature = new Nethereum.Signer.EthereumMessageSigner().EncodeUTF8AndSign(message, newWallet) });
        f.Proxy.Release();
        var answer = await withdrawal;

        Assert.Equal(HttpStatusCode.OK, relinked.Status);
        Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
        Assert.Contains("WALLET_CHANGED", await answer.Content.ReadAsStringAsync());
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var memberId = await db.Set<Members.Member>().Where(m => m.ExternalId == "racer").Select(m => m.Id).SingleAsync();
        Assert.Equal(0, await db.Set<Withdrawal>().CountAsync(w => w.MemberId == memberId));
    }
}
