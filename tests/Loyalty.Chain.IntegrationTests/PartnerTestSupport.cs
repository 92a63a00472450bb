using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Nethereum.Web3;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Points on chain for partner tests, earned the real way: a rule, an event, a settlement batch, a mint.</summary>
internal static class PartnerTestSupport
{
    /// <summary>Enrols a member (with <paramref name="tier"/>) and waits until <paramref name="points"/> are minted to its wallet.</summary>
    public static async Task<string> FundedMemberAsync(LoyaltyApi api, long programId, string adminKey, IWeb3 web3, string pointsContract,
        int points, string? tier)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var trigger = "grant-" + tag;
        string P(string path) => $"/v1/programs/{programId}{path}";
        // A trigger of its own, so no other rule of the program adds to the amount.
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(P("/rules"), adminKey,
            new { name = trigger, trigger, effect = new { kind = "Fixed", points } })).Status);
        var enrolled = await api.PostAsync(P("/members"), adminKey, new { externalId = "p-" + tag, tier });
        Assert.Equal(HttpStatusCode.Created, enrolled.Status);
        var wallet = enrolled.Body!["walletAddress"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(P("/events"), adminKey,
            new { type = trigger, memberId = "p-" + tag, eventId = "e-" + tag })).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync(P("/settlement/run"), adminKey, null)).Status);
        var token = new LoyaltyPointsService(web3, pointsContract);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await token.BalanceOfQueryAsync(wallet) == new BigInteger(points),
            TimeSpan.FromSeconds(90)), $"{points} points were not minted to {wallet}");
        return wallet;
    }

    public static async Task<string> PartnerKeyAsync(LoyaltyApi api, long programId, string adminKey, string role = "partner")
    {
        var created = await api.PostAsync($"/v1/programs/{programId}/api-keys", adminKey, new { role });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Body!["key"]!.GetValue<string>();
    }
}
