using System.Net;
using System.Text.Json.Nodes;
using Hangfire;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Settlement;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

public sealed class SunsetEarningFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override long PendingPeriodSeconds => 3600;
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Settlement:MaxIntentAge"] = "01:00:00" };
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>
/// Earning stops at once when a sunset starts: a referral qualified by a purchase made before it, and a challenge award
/// still pending, are refused with PROGRAM_SUNSETTING (recorded on the row) instead of paying after the stop.
/// </summary>
public sealed class SunsetEarningTests(SunsetEarningFixture f) : IClassFixture<SunsetEarningFixture>
{
    private async Task<long> AvailableAsync(string member) =>
        long.Parse((await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>());

    private async Task<long> PendingAsync(string member) =>
        long.Parse((await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["pending"]!.GetValue<string>());

    private async Task<string> EnrolAsync(string? code = null)
    {
        var id = "se-" + Guid.NewGuid().ToString("N")[..10];
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, referralCode = code });
        Assert.True(r.Status == HttpStatusCode.Created, $"{r.Status} {r.Body}");
        return id;
    }

    private async Task<JsonNode> ReferralOfAsync(string referrer) =>
        Assert.Single((await f.Api.GetAsync(f.P($"/members/{referrer}/referrals"), f.AdminKey)).Body!["referrals"]!.AsArray())!;

    [Fact]
    public async Task ReferralsAndChallengeAwardsFromBeforeTheSunset_AreRefusedWithAReason_AndPayNothing()
    {
        Assert.Equal(HttpStatusCode.OK, (await f.Api.SendAsync(HttpMethod.Put, f.P("/referrals/policy"), f.AdminKey, new
        {
            active = true, qualifyingEventTypes = new[] { "purchase" }, referrerReward = new { points = "50" }, refereeReward = new { points = "25" },
        })).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
            new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
        var challenge = await f.Api.PostAsync(f.P("/challenges"), f.AdminKey, new
        {
            name = "One visit", startsAt = f.Time.GetUtcNow().UtcDateTime.AddDays(-1),
            steps = new[] { new { name = "Visit", eventType = "visit" } }, reward = new { points = "100" },
        });
        Assert.True(challenge.Status == HttpStatusCode.Created, challenge.Body?.ToJsonString());
        var challengeId = challenge.Body!["id"]!.GetValue<long>();

        var referrer = await EnrolAsync();
        var code = (await f.Api.GetAsync(f.P($"/members/{referrer}/referrals"), f.AdminKey)).Body!["code"]!.GetValue<string>();
        var referee = await EnrolAsync(code);
        // The purchase qualifies the referral; its reward waits for the return window (an hour) to close.
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = referee, eventId = "se-o-" + referee, amount = "30.00" })).Status);
        Assert.Equal("Qualified", (await ReferralOfAsync(referrer))["status"]!.GetValue<string>());

        // The challenge completes with the settlement pass held back, so its award is still pending when the sunset starts.
        var recurring = f.Factory.Services.GetRequiredService<IRecurringJobManager>();
        recurring.RemoveIfExists(LoyaltyJobs.SettlementRecurringId);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5)); // a pass already running finishes
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
                new { type = "visit", memberId = referrer, eventId = "se-v-" + referrer })).Status);
            var award = await AwardAsync(referrer, challengeId);
            Assert.Equal("Pending", award["status"]!.GetValue<string>());

            var endsAt = f.Time.GetUtcNow().UtcDateTime.AddDays(30).Date;
            Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P("/sunset"), f.AdminKey, new { endsAt }, "se-sunset")).Status);

            using (var scope = f.Factory.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Challenges.ChallengeAwarder>().RunAsync(CancellationToken.None);
            award = await AwardAsync(referrer, challengeId);
            Assert.Equal("Refused", award["status"]!.GetValue<string>());
            Assert.Equal("PROGRAM_SUNSETTING", award["error"]!.GetValue<string>());
            Assert.Null(award["awardedAt"]);
        }
        finally
        {
            f.Factory.Services.ScheduleRecurringJobs();
        }

        // Past the return window the purchase matures (bought before the sunset: its points stand), the referral does not pay.
        f.Time.MoveTo(f.Time.GetUtcNow().UtcDateTime.AddHours(2));
        using (var scope = f.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<MaturationService>().RunAsync(CancellationToken.None);
        var referral = await ReferralOfAsync(referrer);
        Assert.Equal("Refused", referral["status"]!.GetValue<string>());
        Assert.Equal("PROGRAM_SUNSETTING", referral["reason"]!.GetValue<string>());
        Assert.Equal("0", referral["referrerPoints"]!.GetValue<string>());
        Assert.Equal(0, await AvailableAsync(referrer) + await PendingAsync(referrer));
        Assert.Equal(30, await AvailableAsync(referee));
    }

    private async Task<JsonNode> AwardAsync(string member, long challengeId)
    {
        var all = await f.Api.GetAsync(f.P($"/members/{member}/challenges"), f.AdminKey);
        Assert.True(all.Status == HttpStatusCode.OK, all.Body?.ToJsonString());
        var view = all.Body!.AsArray().Single(c => c!["id"]!.GetValue<long>() == challengeId)!;
        return Assert.Single(view["awards"]!.AsArray())!;
    }
}
