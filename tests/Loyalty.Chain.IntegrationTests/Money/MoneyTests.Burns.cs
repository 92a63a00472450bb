using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Redemption;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Web3;
using Npgsql;

namespace Loyalty.Chain.IntegrationTests.Money;

public sealed partial class MoneyTests
{
    private LoyaltyPointsService PointsOf(string contract) => new(F.Chain.Chain.AdminWeb3, contract);
    private string PointsContract => F.Program["pointsContract"]!.GetValue<string>();

    private async Task<string> WalletOfAsync(string member) =>
        (await F.Api.GetAsync(F.P($"/members/{member}"), F.AdminKey)).Body!["walletAddress"]!.GetValue<string>();

    [Fact]
    public async Task CancelRacingTheBurn_EndsCancelledOrBurnedNeverBoth_AndLedgerMatchesTheChain()
    {
        var member = await EnrolAsync("race");
        await GiftAsync(member, 100, mint: true);
        var wallet = await WalletOfAsync(member);
        var reward = await RewardAsync("Experience", 20);

        var ids = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            var redeemed = await F.Api.PostAsync(F.P($"/members/{member}/redemptions"), F.AdminKey, new { rewardId = reward });
            var id = redeemed.Body!["id"]!.GetValue<long>();
            ids.Add(id);
            // The host's own burn job runs every second as well; this one starts at the same moment as the cancel.
            var burn = Task.Run(async () =>
            {
                using var scope = F.Factory.Services.CreateScope();
                try { await scope.ServiceProvider.GetRequiredService<BurnSettlement>().RunAsync(CancellationToken.None); }
                catch (LoyaltyException) { }
            });
            var cancel = F.Api.PostAsync(F.P($"/redemptions/{id}/cancel"), F.AdminKey, null);
            await Task.WhenAll(burn, cancel);
            var answer = await cancel;
            Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, answer.Body?.ToJsonString());
        }
        var final = new List<string>();
        foreach (var id in ids)
            final.Add((await WaitForRedemptionAsync(id, r => r["status"]!.GetValue<string>() is "Cancelled" or "Completed"))["status"]!.GetValue<string>());

        var burned = 20 * final.Count(s => s == "Completed");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await PointsOf(PointsContract).BalanceOfQueryAsync(wallet) == 100 - burned, Wait));
        var balance = await BalanceAsync(member);
        Assert.Equal(((100 - burned).ToString(), "0"), (balance["available"]!.GetValue<string>(), balance["reserved"]!.GetValue<string>()));
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await BalanceAsync(member))["onChain"]!.GetValue<string>() == (100 - burned).ToString(), Wait));
    }

    /// <summary>
    /// The burn batch's claim (Reserved -> Burning) is held open in a transaction of its own while a cancel runs: the
    /// cancel read Reserved, and must not commit Cancelled over the claim once it lands.
    /// </summary>
    [PostgresFact]
    public async Task Cancel_ThatReadTheRowBeforeTheBurnClaimCommitted_IsRefusedAndReleasesNothing()
    {
        var member = await EnrolAsync("pgrace");
        await GiftAsync(member, 100, mint: false);
        var reward = await RewardAsync("Experience", 30);
        var id = (await F.Api.PostAsync(F.P($"/members/{member}/redemptions"), F.AdminKey, new { rewardId = reward })).Body!["id"]!.GetValue<long>();

        await using var conn = new NpgsqlConnection(F.Factory.ConnectionString);
        await conn.OpenAsync();
        await using var claim = await conn.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE \"Redemptions\" SET \"Status\" = 'Burning' WHERE \"Id\" = @id AND \"Status\" = 'Reserved'", conn, claim))
        {
            update.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        var cancel = F.Api.PostAsync(F.P($"/redemptions/{id}/cancel"), F.AdminKey, null);
        // Long enough for the cancel to have read the row and to wait on its lock.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(cancel.IsCompleted);
        await claim.CommitAsync();

        var answer = await cancel;
        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.Contains(answer.Body!["code"]!.GetValue<string>(), new[] { "REDEMPTION_CHANGED", "BURN_IN_PROGRESS" });
        Assert.Equal("Burning", (await F.Api.GetAsync(F.P($"/redemptions/{id}"), F.AdminKey)).Body!["status"]!.GetValue<string>());
        var balance = await BalanceAsync(member);
        Assert.Equal(("70", "30"), (balance["available"]!.GetValue<string>(), balance["reserved"]!.GetValue<string>()));
    }

    [Fact]
    public async Task BurnOfPointsThatLeftTheWallet_FailsAfterTheCappedAttempts_ReleasesTheReservationAndRaisesAnAlert()
    {
        var member = await EnrolAsync("gone");
        await GiftAsync(member, 100, mint: true);
        var wallet = await WalletOfAsync(member);
        // 60 points leave the custodial wallet in a way the ledger has not seen (a withdrawal racing this redemption).
        await F.Chain.RpcAsync("hardhat_impersonateAccount", $"[\"{wallet}\"]");
        await F.Chain.RpcAsync("hardhat_setBalance", $"[\"{wallet}\", \"0x8ac7230489e80000\"]");
        var unlocked = new LoyaltyPointsService(new Web3(F.Chain.Chain.Node.RpcUrl), PointsContract);
        var moved = await unlocked.TransferRequestAndWaitForReceiptAsync(new TransferFunction
        {
            FromAddress = wallet, To = PipelineFixture.NewAddress(), Value = 60,
        });
        Assert.Equal(1UL, moved.Status.Value);
        await F.Chain.RpcAsync("hardhat_stopImpersonatingAccount", $"[\"{wallet}\"]");
        Assert.Equal(new BigInteger(40), await PointsOf(PointsContract).BalanceOfQueryAsync(wallet));

        var reward = await RewardAsync("Experience", 50);
        var redeemed = await F.Api.PostAsync(F.P($"/members/{member}/redemptions"), F.AdminKey, new { rewardId = reward });
        Assert.True(redeemed.Status == HttpStatusCode.Created, redeemed.Body?.ToJsonString());
        var id = redeemed.Body!["id"]!.GetValue<long>();

        var failed = await WaitForRedemptionAsync(id, r => r["status"]!.GetValue<string>() == "Failed");
        Assert.Equal("BURN_RETRIES_EXHAUSTED", failed["failureCode"]!.GetValue<string>());
        var balance = await BalanceAsync(member);
        Assert.Equal(("100", "0"), (balance["available"]!.GetValue<string>(), balance["reserved"]!.GetValue<string>()));
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await F.Api.GetAsync("/v1/admin/alerts", F.Factory.AdminKey)).Body!.AsArray()
            .Any(a => a!["code"]!.GetValue<string>() == "REDEMPTION_BURN_FAILED" && a["subject"]!.GetValue<string>() == $"redemption {id}"),
            TimeSpan.FromSeconds(10)), "no alert raised");
        Assert.Equal(new BigInteger(40), await PointsOf(PointsContract).BalanceOfQueryAsync(wallet));
    }
}
