using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests.Money;

public sealed partial class MoneyTests
{
    /// <summary>
    /// A second service instance on the host's SQLite file whose node holds every eth_call: its self-custody redemption
    /// waits on balanceOf, and an event taken in by the host meanwhile must not wait for it (it did while the redemption
    /// read the chain holding the write gate and a transaction).
    /// </summary>
    [Fact]
    public async Task SelfCustodyRedemption_WaitingOnASlowNode_DoesNotHoldUpAConcurrentEventIntake()
    {
        if (TestDatabase.IsPostgres) return; // the write gate is SQLite's; PostgreSQL writers only meet on row locks
        var member = await EnrolAsync("slow");
        await GiftAsync(member, 100, mint: false);
        await SetSelfCustodyAsync(member, EthECKey.GenerateKey().GetPublicAddress());
        var other = await EnrolAsync("busy");
        var reward = await RewardAsync("Experience", 10);
        var connection = await WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()!));

        await using var proxy = new HeldCallProxy(F.Chain.Chain.Node.RpcUrl);
        await using var second = await PipelineHarness.StartAsync(proxy.Url, Path.Combine(F.Factory.DataDirectory, "second.db"), F.Chain.Keys,
            settings: new Dictionary<string, string?>
            {
                ["Database:ConnectionString"] = connection, ["Custody:DataDirectory"] = F.Factory.DataDirectory, ["Custody:KeystoreScryptN"] = "4096",
            });
        var redeem = Task.Run(async () =>
        {
            using var scope = second.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == F.ProgramId);
            var m = await db.Set<Member>().AsNoTracking().SingleAsync(x => x.ProgramId == F.ProgramId && x.ExternalId == member);
            try
            {
                await scope.ServiceProvider.GetRequiredService<RedemptionService>().RedeemAsync(program, m, reward, null, CancellationToken.None);
                return "redeemed";
            }
            catch (LoyaltyException e) { return e.Code; }
        });
        await proxy.CallHeld.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var intake = F.Api.PostAsync(F.P("/events"), F.AdminKey, new { type = "gift", memberId = other, eventId = "busy-" + other, amount = "5.00" });
        var first = await Task.WhenAny(intake, Task.Delay(TimeSpan.FromSeconds(20)));
        var intakeFirst = first == intake && !redeem.IsCompleted;
        proxy.Release();
        Assert.True(intakeFirst, "the event waited for the redemption's balanceOf");
        var outcome = await redeem.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Created, (await intake).Status);
        // The wallet holds nothing on chain: the redemption is refused, after the node answered.
        Assert.Equal("INSUFFICIENT_POINTS", outcome);
    }

    /// <summary>One wallet linked in two programs: each program's points contract has its own burn nonces and balance.</summary>
    [Fact]
    public async Task SameWalletInTwoPrograms_BurnNonceAndPendingBurnsCountOnlyTheirOwnProgram()
    {
        var created = await F.Api.PostAsync("/v1/programs", F.Factory.AdminKey, new
        {
            name = "Second Coffee", pointName = "Leaves", pointSymbol = "LEAF", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        var (b, bKey) = (created.Body!["program"]!["id"]!.GetValue<long>(), created.Body["adminKey"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await F.Api.GetAsync($"/v1/programs/{b}", bKey)).Body!["status"]!.GetValue<string>() == "Active", Wait));

        var wallet = EthECKey.GenerateKey().GetPublicAddress();
        var inA = await EnrolAsync("twoA");
        var inB = await EnrolAsync("twoB", b, bKey);
        await SetSelfCustodyAsync(inA, wallet);
        await SetSelfCustodyAsync(inB, wallet, b);
        await GiftAsync(inA, 50, mint: true);
        await GiftAsync(inB, 50, mint: true, b, bKey);

        var inProgramA = await F.Api.PostAsync(F.P($"/members/{inA}/redemptions"), F.AdminKey, new { rewardId = await RewardAsync("Experience", 40) });
        Assert.True(inProgramA.Status == HttpStatusCode.Created, inProgramA.Body?.ToJsonString());
        Assert.Equal("0", inProgramA.Body!["typedDataToSign"]!["message"]!["nonce"]!.ToString());

        // Program A's pending burn of 40 takes no nonce of program B's contract and pledges none of B's points.
        var small = await F.Api.PostAsync(P(b, $"/members/{inB}/redemptions"), bKey, new { rewardId = await RewardAsync("Experience", 10, programId: b, adminKey: bKey) });
        Assert.True(small.Status == HttpStatusCode.Created, small.Body?.ToJsonString());
        Assert.Equal("0", small.Body!["typedDataToSign"]!["message"]!["nonce"]!.ToString());
        var large = await F.Api.PostAsync(P(b, $"/members/{inB}/redemptions"), bKey, new { rewardId = await RewardAsync("Experience", 40, programId: b, adminKey: bKey) });
        Assert.True(large.Status == HttpStatusCode.Created, large.Body?.ToJsonString());
        Assert.Equal("1", large.Body!["typedDataToSign"]!["message"]!["nonce"]!.ToString());
    }
}
