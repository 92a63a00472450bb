using System.Net;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Program settings (PATCH) and pause/resume, with the contracts' paused() read from the real node.</summary>
public sealed class ProgramPauseTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private LoyaltyPointsService Points => new(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
    private LoyaltyCollectibleService Collectible => new(f.Chain.Chain.AdminWeb3, f.CollectibleContract);

    private async Task EnsureRuleAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "Fixed", points = 10 } });
    }

    [Fact]
    public async Task Pause_RefusesEventsAndRedemptions_PausesTheContracts_AndResumeMintsWhatWasQueued()
    {
        await EnsureRuleAsync();
        var member = "pz-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        // Earned before the pause, not minted yet (settlement waits for batches to fill).
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "before-" + member })).Status);
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "pause coupon", cost = "1" })).Body!["id"]!.GetValue<long>();

        var paused = await f.Api.PostAsync(f.P("/pause"), f.AdminKey, null, "pause-1");
        Assert.Equal(HttpStatusCode.OK, paused.Status);
        Assert.Equal("Paused", paused.Body!["status"]!.GetValue<string>());
        Assert.Equal(2, paused.Body["pauseTxs"]!.AsArray().Count);
        Assert.Equal("PROGRAM_ALREADY_PAUSED", (await f.Api.PostAsync(f.P("/pause"), f.AdminKey, null)).Body!["code"]!.GetValue<string>());

        var eventsBefore = (await f.Api.GetAsync(f.P("/events?limit=200"), f.AdminKey)).Body!["items"]!.AsArray().Count;
        var earn = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "during-" + member });
        Assert.Equal(HttpStatusCode.Conflict, earn.Status);
        Assert.Equal("PROGRAM_PAUSED", earn.Body!["code"]!.GetValue<string>());
        var redeem = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal(HttpStatusCode.Conflict, redeem.Status);
        Assert.Equal("PROGRAM_PAUSED", redeem.Body!["code"]!.GetValue<string>());
        Assert.Equal("PROGRAM_PAUSED", (await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null)).Body!["code"]!.GetValue<string>());
        Assert.Equal(eventsBefore, (await f.Api.GetAsync(f.P("/events?limit=200"), f.AdminKey)).Body!["items"]!.AsArray().Count);
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("10", balance["available"]!.GetValue<string>());
        Assert.Equal("0", balance["reserved"]!.GetValue<string>());

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Points.PausedQueryAsync() && await Collectible.PausedQueryAsync(), Wait),
            "the contracts were not paused on chain");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!["pauseTxs"]!.AsArray()
            .All(t => t!["status"]!.GetValue<string>() == "Final"), Wait));

        var resumed = await f.Api.PostAsync(f.P("/resume"), f.AdminKey, null, "resume-1");
        Assert.Equal(HttpStatusCode.OK, resumed.Status);
        Assert.Equal("Resuming", resumed.Body!["status"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!["status"]!.GetValue<string>() == "Active", Wait), "the program did not become active again");
        Assert.False(await Points.PausedQueryAsync());
        Assert.False(await Collectible.PausedQueryAsync());
        Assert.Equal("PROGRAM_NOT_PAUSED", (await f.Api.PostAsync(f.P("/resume"), f.AdminKey, null)).Body!["code"]!.GetValue<string>());

        // What was queued before the pause is minted now.
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null)).Status);
        var wallet = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["walletAddress"]!.GetValue<string>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Points.BalanceOfQueryAsync(wallet) == 10, Wait), "the queued points were not minted");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "after-" + member })).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward })).Status);
    }

    [Fact]
    public async Task PatchProgram_ChangesNamePendingPeriodAndTimeZone_AndRefusesBadOrUnknownSettings()
    {
        await EnsureRuleAsync();
        try
        {
            var patched = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey,
                rawBody: """{"name":"Renamed Coffee","pendingPeriodSeconds":3600,"timeZone":"Europe/Paris"}""");
            Assert.Equal(HttpStatusCode.OK, patched.Status);
            Assert.Equal("Renamed Coffee", patched.Body!["name"]!.GetValue<string>());
            Assert.Equal(3600, patched.Body["pendingPeriodSeconds"]!.GetValue<long>());
            Assert.Equal("Europe/Paris", patched.Body["timeZone"]!.GetValue<string>());
            Assert.Equal("Renamed Coffee", (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!["name"]!.GetValue<string>());

            // New earnings wait the new pending period.
            var member = "pp-" + Guid.NewGuid().ToString("N")[..8];
            await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
            await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "pp-" + member });
            var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
            Assert.Equal("10", balance["pending"]!.GetValue<string>());
            Assert.Equal("0", balance["available"]!.GetValue<string>());

            foreach (var (body, code) in new[]
                     {
                         ("""{"timeZone":"Mars/Olympus"}""", "INVALID_TIME_ZONE"), ("""{"pendingPeriodSeconds":31536001}""", "INVALID_PENDING_PERIOD"),
                         ("""{"pendingPeriodSeconds":-1}""", "INVALID_PENDING_PERIOD"), ("""{"name":""}""", "INVALID_NAME"),
                         ("""{"currency":"USD"}""", "UNKNOWN_FIELD"), ("""{"name":null}""", "INVALID_SETTING"),
                         ("""{"pendingPeriodSeconds":"10"}""", "INVALID_SETTING"), ("""[1]""", "MALFORMED_JSON"),
                     })
            {
                var bad = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, rawBody: body);
                Assert.True(bad.Status == HttpStatusCode.BadRequest, $"{body}: {bad.Status} {bad.Body}");
                Assert.Equal(code, bad.Body!["code"]!.GetValue<string>());
            }
            var unchanged = (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!;
            Assert.Equal(("Renamed Coffee", 3600L, "Europe/Paris"),
                (unchanged["name"]!.GetValue<string>(), unchanged["pendingPeriodSeconds"]!.GetValue<long>(), unchanged["timeZone"]!.GetValue<string>()));
        }
        finally
        {
            await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, rawBody: """{"pendingPeriodSeconds":0,"timeZone":"UTC"}""");
        }
    }
}
