using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program with a one-hour return window, manual settlement and a host clock the tests move past that window.</summary>
public sealed class ReferralFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override long PendingPeriodSeconds => 3600;
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Settlement:MaxIntentAge"] = "01:00:00", ["Limits:MaxPointsPerMember"] = "100000" };
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>Referrals against a real node and SQLite file: rewarded after the return window, voided by a return, fraud limits.</summary>
public sealed class ReferralTests(ReferralFixture f) : IClassFixture<ReferralFixture>
{

    private async Task PolicyAsync(int? cap = null, string? minAmount = null)
    {
        var put = await f.Api.SendAsync(HttpMethod.Put, f.P("/referrals/policy"), f.AdminKey, new
        {
            active = true, qualifyingEventTypes = new[] { "purchase" }, minAmount, monthlyCapPerReferrer = cap,
            referrerReward = new { points = "50" }, refereeReward = new { points = "25" },
        });
        Assert.True(put.Status == HttpStatusCode.OK, put.Body?.ToJsonString());
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase"))
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
                new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
    }

    private async Task<string> EnrolAsync(string? code = null, string? email = null, string? phone = null, string? tier = null,
        HttpStatusCode expected = HttpStatusCode.Created)
    {
        var id = "r-" + Guid.NewGuid().ToString("N")[..10];
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, email, phone, tier, referralCode = code });
        Assert.True(r.Status == expected, $"{r.Status} {r.Body}");
        return id;
    }

    private async Task<JsonNode> ReferralsAsync(string member)
    {
        var r = await f.Api.GetAsync(f.P($"/members/{member}/referrals"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, $"{r.Status} {r.Body}");
        return r.Body!;
    }

    private async Task<string> CodeAsync(string member) => (await ReferralsAsync(member))["code"]!.GetValue<string>();

    private async Task<JsonNode> OnlyReferralAsync(string referrer) => Assert.Single((await ReferralsAsync(referrer))["referrals"]!.AsArray())!;

    private async Task<long> AvailableAsync(string member) =>
        long.Parse((await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>());

    private async Task BuyAsync(string member, int euros, string? orderId = null)
    {
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = member, eventId = orderId ?? "o-" + Guid.NewGuid().ToString("N")[..10], amount = $"{euros}.00" });
        Assert.True(e.Status == HttpStatusCode.Created, $"{e.Status} {e.Body}");
    }

    private async Task ReturnAsync(string member, string orderId, int euros)
    {
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "return", memberId = member, eventId = "ret-" + Guid.NewGuid().ToString("N")[..10], orderId, amount = $"{euros}.00" });
        Assert.True(e.Status == HttpStatusCode.Created, $"{e.Status} {e.Body}");
    }

    private async Task MatureAsync()
    {
        using var scope = f.Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<MaturationService>().RunAsync(CancellationToken.None);
    }

    private async Task PastWindowAsync()
    {
        f.Time.MoveTo(f.Time.GetUtcNow().UtcDateTime.AddHours(2));
        await MatureAsync();
    }

    [Fact]
    public async Task Referral_IsRewardedOnBothSidesOnce_OnlyAfterTheReturnWindow_AndSettlesOnChain()
    {
        await PolicyAsync();
        var referrer = await EnrolAsync();
        var code = await CodeAsync(referrer);
        Assert.Matches(@"\A[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\z", code);
        // Matched ignoring case, dashes and spaces.
        var referee = await EnrolAsync(" " + code.Replace("-", " ").ToLowerInvariant());
        Assert.Equal(referrer, (await ReferralsAsync(referee))["referredBy"]!["referrer"]!.GetValue<string>());
        Assert.Equal("Pending", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());

        await BuyAsync(referee, 30);
        await BuyAsync(referee, 40);
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        await MatureAsync();
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        Assert.Equal(0, await AvailableAsync(referrer));
        Assert.Equal(0, await AvailableAsync(referee));

        await PastWindowAsync();
        var rewarded = await OnlyReferralAsync(referrer);
        Assert.Equal("Rewarded", rewarded["status"]!.GetValue<string>());
        Assert.Equal("50", rewarded["referrerPoints"]!.GetValue<string>());
        Assert.Equal("25", rewarded["refereePoints"]!.GetValue<string>());
        Assert.NotNull(rewarded["rewardedAt"]);
        Assert.Equal(50, await AvailableAsync(referrer));
        Assert.Equal(30 + 40 + 25, await AvailableAsync(referee));
        Assert.Equal(1, (await ReferralsAsync(referrer))["rewardedThisMonth"]!.GetValue<int>());

        // A second pass (and a later purchase) rewards nothing more.
        await BuyAsync(referee, 10);
        await PastWindowAsync();
        Assert.Equal(50, await AvailableAsync(referrer));
        Assert.Equal(30 + 40 + 25 + 10, await AvailableAsync(referee));

        // Settled: the ledger equals the chain.
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            var b = (await f.Api.GetAsync(f.P($"/members/{referrer}"), f.AdminKey)).Body!["balance"]!;
            return b["onChain"]!.GetValue<string>() == "50";
        }, TimeSpan.FromSeconds(90)), "the referral bonus was not minted");
        var report = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(report.Body!["reconciled"]!.GetValue<bool>(), report.Body.ToJsonString());
    }

    [Fact]
    public async Task ReferralBonus_PastThePerMemberCap_IsNotCredited_TheOtherSideIsRewarded_AndTheReferralSaysWhy()
    {
        await PolicyAsync();
        var referrer = await EnrolAsync();
        await BuyAsync(referrer, 99_980); // 99,980 of the fixture's 100,000 cap: the 50-point bonus would pass it
        var referee = await EnrolAsync(await CodeAsync(referrer));
        await BuyAsync(referee, 10);
        await PastWindowAsync();

        var rewarded = await OnlyReferralAsync(referrer);
        Assert.Equal("Rewarded", rewarded["status"]!.GetValue<string>());
        Assert.Equal("0", rewarded["referrerPoints"]!.GetValue<string>());
        Assert.Equal("25", rewarded["refereePoints"]!.GetValue<string>());
        Assert.Contains("POINTS_LIMIT_EXCEEDED", rewarded["note"]!.GetValue<string>());
        Assert.Equal(99_980, await AvailableAsync(referrer));
        Assert.Equal(10 + 25, await AvailableAsync(referee));
    }

    [Fact]
    public async Task Referral_IsVoidedByAReturnInTheWindow_AndRewardsNobody()
    {
        await PolicyAsync(minAmount: "2000");
        // Partly returned below the minimum amount.
        var referrer = await EnrolAsync();
        var referee = await EnrolAsync(await CodeAsync(referrer));
        await BuyAsync(referee, 30, "ord-" + referee);
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        await ReturnAsync(referee, "ord-" + referee, 5);
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        await ReturnAsync(referee, "ord-" + referee, 10);
        var voided = await OnlyReferralAsync(referrer);
        Assert.Equal("Refused", voided["status"]!.GetValue<string>());
        Assert.Equal("RETURNED", voided["reason"]!.GetValue<string>());

        // Fully returned, with no minimum.
        await PolicyAsync();
        var referrer2 = await EnrolAsync();
        var referee2 = await EnrolAsync(await CodeAsync(referrer2));
        await BuyAsync(referee2, 30, "ord-" + referee2);
        await ReturnAsync(referee2, "ord-" + referee2, 30);
        Assert.Equal("RETURNED", (await OnlyReferralAsync(referrer2))["reason"]!.GetValue<string>());

        await PastWindowAsync();
        Assert.Equal(0, await AvailableAsync(referrer));
        Assert.Equal(0, await AvailableAsync(referrer2));
        Assert.Equal(15, await AvailableAsync(referee));
        Assert.Equal(0, await AvailableAsync(referee2));
        Assert.Equal("Refused", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SelfReferral_IsRefusedAndRecorded_ButTheMemberIsEnrolled()
    {
        await PolicyAsync();
        var referrer = await EnrolAsync(email: "Jane.Doe@Example.com", phone: "+33 6 12 34 56 78");
        var code = await CodeAsync(referrer);
        var sameEmail = await EnrolAsync(code, email: "  jane.doe@example.COM ");
        var samePhone = await EnrolAsync(code, email: "other@example.com", phone: "+33 (6) 12-34-56-78");
        var list = (await ReferralsAsync(referrer))["referrals"]!.AsArray();
        Assert.Equal("SAME_PHONE", list.Single(r => r!["referee"]!.GetValue<string>() == samePhone)!["reason"]!.GetValue<string>());
        var refused = list.Single(r => r!["referee"]!.GetValue<string>() == sameEmail)!;
        Assert.Equal("Refused", refused["status"]!.GetValue<string>());
        Assert.Equal("SAME_EMAIL", refused["reason"]!.GetValue<string>());
        Assert.DoesNotContain("example", list.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        // With the member's own token, the other members' customer ids are not shown either.
        var token = (await f.Api.PostAsync(f.P($"/members/{referrer}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{referrer}/referrals"));
        request.Headers.Authorization = new("Bearer", token);
        var own = await (await f.Api.Http.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("referee #", own);
        Assert.DoesNotContain(sameEmail, own);
        Assert.DoesNotContain(samePhone, own);

        // The member's own code: re-enrolling is idempotent and links nothing.
        var again = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = referrer, referralCode = code });
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Null((await ReferralsAsync(referrer))["referredBy"]);

        // Refused referrals are never rewarded.
        await BuyAsync(sameEmail, 30);
        await PastWindowAsync();
        Assert.Equal(0, await AvailableAsync(referrer));
        Assert.Equal(30, await AvailableAsync(sameEmail));
    }

    [Fact]
    public async Task MonthlyCap_RefusesReferralsPastTheCap()
    {
        await PolicyAsync(cap: 2);
        var referrer = await EnrolAsync();
        var code = await CodeAsync(referrer);
        var first = await EnrolAsync(code);
        var second = await EnrolAsync(code);
        var third = await EnrolAsync(code);
        var view = await ReferralsAsync(referrer);
        Assert.Equal(2, view["monthlyCap"]!.GetValue<int>());
        var byReferee = view["referrals"]!.AsArray().ToDictionary(r => r!["referee"]!.GetValue<string>(), r => r!);
        Assert.Equal("Pending", byReferee[first]["status"]!.GetValue<string>());
        Assert.Equal("Pending", byReferee[second]["status"]!.GetValue<string>());
        Assert.Equal("MONTHLY_CAP", byReferee[third]["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownCode_Returns422AndEnrolsNobody()
    {
        await PolicyAsync();
        var id = "r-" + Guid.NewGuid().ToString("N")[..10];
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, referralCode = "ZZZZ-ZZZZ" });
        Assert.Equal((HttpStatusCode)422, r.Status);
        Assert.Equal("UNKNOWN_REFERRAL_CODE", r.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Status);
        var bad = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, referralCode = new string('A', 40) });
        Assert.Equal("INVALID_REFERRAL_CODE", bad.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Status);
    }

    [Fact]
    public async Task TierConditionedReferralRule_AddsItsBonusOnlyForAGoldReferrer()
    {
        await PolicyAsync();
        var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "gold referrer bonus", trigger = "referral_reward", conditions = new { tiers = new[] { "Gold" } }, effect = new { kind = "Fixed", points = 100 },
        });
        Assert.True(rule.Status == HttpStatusCode.Created, rule.Body?.ToJsonString());
        var gold = await EnrolAsync(tier: "Gold");
        var silver = await EnrolAsync(tier: "Silver");
        var goldReferee = await EnrolAsync(await CodeAsync(gold));
        var silverReferee = await EnrolAsync(await CodeAsync(silver));
        await BuyAsync(goldReferee, 30);
        await BuyAsync(silverReferee, 30);
        await PastWindowAsync();
        Assert.Equal(150, await AvailableAsync(gold));
        Assert.Equal(50, await AvailableAsync(silver));
        Assert.Equal("150", (await OnlyReferralAsync(gold))["referrerPoints"]!.GetValue<string>());
        Assert.Equal(55, await AvailableAsync(goldReferee));
        // A shop cannot fire the reward trigger with an event of its own.
        var forged = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "referral_reward", memberId = gold, eventId = "forged-1" });
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Equal("RESERVED_EVENT_TYPE", forged.Body!["code"]!.GetValue<string>());
        Assert.Equal(150, await AvailableAsync(gold));
    }

    [Fact]
    public async Task BlockedReferrer_StaysQualifiedUntilUnblocked()
    {
        await PolicyAsync();
        var referrer = await EnrolAsync();
        var referee = await EnrolAsync(await CodeAsync(referrer));
        await BuyAsync(referee, 30);
        Assert.True((await f.Api.PostAsync(f.P($"/members/{referrer}/block"), f.AdminKey, new { reason = "review" })).Status is HttpStatusCode.OK or HttpStatusCode.NoContent);
        await PastWindowAsync();
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        Assert.Equal(0, await AvailableAsync(referrer));
        Assert.True((await f.Api.PostAsync(f.P($"/members/{referrer}/unblock"), f.AdminKey, null)).Status is HttpStatusCode.OK or HttpStatusCode.NoContent);
        await MatureAsync();
        Assert.Equal("Rewarded", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        Assert.Equal(50, await AvailableAsync(referrer));
    }

    [Fact]
    public async Task RefereeWithTheReferrersWallet_AtRewardTime_IsRefusedSameWallet()
    {
        await PolicyAsync();
        var referrer = await EnrolAsync();
        var referee = await EnrolAsync(await CodeAsync(referrer));
        // Earns no points (so nothing is minted to the borrowed wallet and the program still reconciles), yet qualifies.
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = referee, eventId = "o-" + referee, amount = "0.50" });
        Assert.Equal(HttpStatusCode.Created, e.Status);
        Assert.Equal("Qualified", (await OnlyReferralAsync(referrer))["status"]!.GetValue<string>());
        // As if the referee had linked the referrer's wallet since enrolment (the link itself is covered by the wallet tests).
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
            var wallet = await db.Set<Loyalty.Chain.Members.Member>().Where(m => m.ProgramId == f.ProgramId && m.ExternalId == referrer)
                .Select(m => m.WalletAddress).SingleAsync();
            await db.Set<Loyalty.Chain.Members.Member>().Where(m => m.ProgramId == f.ProgramId && m.ExternalId == referee)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.WalletAddress, wallet).SetProperty(m => m.WalletKind, Loyalty.Chain.Members.WalletKind.SelfCustody));
        }
        await PastWindowAsync();
        var refused = await OnlyReferralAsync(referrer);
        Assert.Equal("SAME_WALLET", refused["reason"]!.GetValue<string>());
        Assert.Equal(0, await AvailableAsync(referrer));
        Assert.Equal(0, await AvailableAsync(referee));
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
            await db.Set<Loyalty.Chain.Members.Member>().Where(m => m.ProgramId == f.ProgramId && m.ExternalId == referee)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.WalletAddress, m => m.CustodialAddress!).SetProperty(m => m.WalletKind, Loyalty.Chain.Members.WalletKind.Custodial));
        }
    }

    [Fact]
    public async Task FirstPurchaseAfterQualifyWithinDays_IsRefusedWindowPassed()
    {
        var put = await f.Api.SendAsync(HttpMethod.Put, f.P("/referrals/policy"), f.AdminKey, new
        {
            qualifyWithinDays = 1, referrerReward = new { points = "50" }, refereeReward = new { points = "25" },
        });
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var referrer = await EnrolAsync();
        var referee = await EnrolAsync(await CodeAsync(referrer));
        f.Time.MoveTo(f.Time.GetUtcNow().UtcDateTime.AddHours(25));
        await BuyAsync(referee, 30);
        Assert.Equal("QUALIFY_WINDOW_PASSED", (await OnlyReferralAsync(referrer))["reason"]!.GetValue<string>());
        await PastWindowAsync();
        Assert.Equal(0, await AvailableAsync(referrer));
    }

    [Theory]
    [InlineData("""{"referrerReward":{"points":"50"}}""")]
    [InlineData("""{"referrerReward":{"points":"-1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"referrerReward":{"points":"1.5"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"qualifyingEventTypes":[null],"referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"qualifyingEventTypes":["return"],"referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"qualifyingEventTypes":[],"referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"minAmount":"1e3","referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"qualifyWithinDays":0,"referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    [InlineData("""{"monthlyCapPerReferrer":-3,"referrerReward":{"points":"1"},"refereeReward":{"points":"0"}}""")]
    public async Task InvalidPolicy_Returns400AndChangesNothing(string body)
    {
        await PolicyAsync();
        var before = (await f.Api.GetAsync(f.P("/referrals/policy"), f.AdminKey)).Body!.ToJsonString();
        var r = await f.Api.SendAsync(HttpMethod.Put, f.P("/referrals/policy"), f.AdminKey, JsonNode.Parse(body));
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal("INVALID_REFERRAL_POLICY", r.Body!["code"]!.GetValue<string>());
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/referrals/policy"), f.AdminKey)).Body!.ToJsonString());
    }

    [Fact]
    public async Task PolicyWithUnknownDrop_Returns404AndChangesNothing()
    {
        await PolicyAsync();
        var before = (await f.Api.GetAsync(f.P("/referrals/policy"), f.AdminKey)).Body!.ToJsonString();
        var r = await f.Api.SendAsync(HttpMethod.Put, f.P("/referrals/policy"), f.AdminKey,
            new { referrerReward = new { points = "1", dropId = 999999 }, refereeReward = new { points = "0" } });
        Assert.Equal(HttpStatusCode.NotFound, r.Status);
        Assert.Equal("UNKNOWN_DROP", r.Body!["code"]!.GetValue<string>());
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/referrals/policy"), f.AdminKey)).Body!.ToJsonString());
    }
}
