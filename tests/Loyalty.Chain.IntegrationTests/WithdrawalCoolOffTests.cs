using System.Net;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

public sealed class ShortCoolOffProgramFixture : ProgramFixture
{
    public static readonly TimeSpan CoolOff = TimeSpan.FromSeconds(5);
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Wallets:WithdrawalCoolOff"] = CoolOff.ToString() };
}

/// <summary>A withdrawal to a freshly linked wallet waits for the cool-off: accepted, scheduled, and the member is told when.</summary>
[Collection(ApiCollection.Name)]
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
