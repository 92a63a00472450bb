using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

public sealed class ShortCoolOffProgramFixture : ProgramFixture
{
    public static readonly TimeSpan CoolOff = TimeSpan.FromSeconds(5);
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Wallets:WithdrawalCoolOff"] = CoolOff.ToString() };
}

/// <summary>A withdrawal to a freshly linked wallet waits for the cool-off: accepted, scheduled, and the member is told when.</summary>
public sealed class WithdrawalCoolOffTests(ShortCoolOffProgramFixture f) : IClassFixture<ShortCoolOffProgramFixture>
{
    [Fact]
    public async Task WithdrawalRightAfterALink_IsScheduledForTheEndOfTheCoolOff_ThenMoves()
    {
        var (wallet, custodial) = await AssetMoveSupport.MemberWithPointsAsync(f, "patient", 30);
        var linkedBy = DateTime.UtcNow;
        var token = await AssetMoveSupport.TokenAsync(f, "patient");

        var answer = await AssetMoveSupport.AsMemberAsync(f, token, f.P("/members/patient/withdrawals"));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        Assert.Equal("Scheduled", body["status"]!.GetValue<string>());
        Assert.Empty(body["transfers"]!.AsArray());
        var scheduledFor = body["scheduledFor"]!.GetValue<DateTime>().ToUniversalTime();
        Assert.InRange(scheduledFor, linkedBy - TimeSpan.FromSeconds(30) + ShortCoolOffProgramFixture.CoolOff, linkedBy + ShortCoolOffProgramFixture.CoolOff);
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        Assert.Equal(30, (int)await points.BalanceOfQueryAsync(custodial));

        var again = await AssetMoveSupport.AsMemberAsync(f, token, f.P("/members/patient/withdrawals"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("WITHDRAWAL_IN_PROGRESS", await again.Content.ReadAsStringAsync());

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await points.BalanceOfQueryAsync(wallet) == 30, TimeSpan.FromSeconds(60)));
        Assert.True(DateTime.UtcNow >= scheduledFor);
    }
}

public sealed class DayCoolOffProgramFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Wallets:WithdrawalCoolOff"] = "1.00:00:00" };
}

/// <summary>
/// Under a day's cool-off: the Hangfire job that stages a scheduled withdrawal is enqueued after the commit (a crash in
/// between must not strand it), and signing in with the linked wallet does not start the cool-off again.
/// </summary>
public sealed class OverdueWithdrawalTests(DayCoolOffProgramFixture f) : IClassFixture<DayCoolOffProgramFixture>
{
    [Fact]
    public async Task SignInWithEthereum_IsNotANewLink_AWithdrawalAfterTheCoolOffMovesAtOnce()
    {
        var key = Nethereum.Signer.EthECKey.GenerateKey();
        var (wallet, _) = await AssetMoveSupport.MemberWithPointsAsync(f, "returning", 30, key);
        // The link is two days old: the cool-off is over.
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
            var lower = wallet.ToLowerInvariant();
            Assert.Equal(1, await db.Set<Loyalty.Chain.Custody.SiweNonce>().Where(n => n.UsedBy == lower)
                .ExecuteUpdateAsync(u => u.SetProperty(n => n.UsedAt, DateTime.UtcNow.AddDays(-2))));
        }

        // The member signs in to the portal with that wallet.
        var challenge = await f.Api.PostAsync("/v1/member-sessions/siwe/challenge", null, new { programId = f.ProgramId, address = wallet });
        Assert.True(challenge.Status == HttpStatusCode.OK, $"{challenge.Status} {challenge.Body}");
        var message = challenge.Body!["message"]!.GetValue<string>();
        var signedIn = await f.Api.PostAsync("/v1/member-sessions/siwe", null,
            new { programId = f.ProgramId, message, signature = new Nethereum.Signer.EthereumMessageSigner().EncodeUTF8AndSign(message, key) });
        Assert.True(signedIn.Status == HttpStatusCode.OK, $"{signedIn.Status} {signedIn.Body}");

        var answer = await AssetMoveSupport.AsMemberAsync(f, await AssetMoveSupport.TokenAsync(f, "returning"), f.P("/members/returning/withdrawals"));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        Assert.Equal("Staged", body["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScheduledWithdrawalWhoseJobWasLost_IsStagedByTheRecurringPassOnceOverdue()
    {
        var (wallet, _) = await AssetMoveSupport.MemberWithPointsAsync(f, "stranded", 30);
        var token = await AssetMoveSupport.TokenAsync(f, "stranded");
        var answer = await AssetMoveSupport.AsMemberAsync(f, token, f.P("/members/stranded/withdrawals"));
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();

        // The cool-off is over, but its Hangfire job (scheduled for tomorrow) stands for one that was never enqueued.
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
            await db.Set<Loyalty.Chain.Redemption.WithdrawalRequest>().Where(r => r.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.NotBefore, DateTime.UtcNow.AddMinutes(-1)));
        }

        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await points.BalanceOfQueryAsync(wallet) == 30, TimeSpan.FromSeconds(60)),
            "the overdue withdrawal was never staged");
    }
}
