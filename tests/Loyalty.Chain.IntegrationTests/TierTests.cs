using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Tiers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The host's clock, moved forward by a test; it keeps running, so timers and leases behave as usual.</summary>
public sealed class ShiftedTime : TimeProvider
{
    private long _offsetTicks;
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock to <paramref name="utc"/> (forward only: a running host must never see time go back).</summary>
    public void MoveTo(DateTime utc)
    {
        var delta = new DateTimeOffset(utc, TimeSpan.Zero) - GetUtcNow();
        if (delta < TimeSpan.Zero) throw new InvalidOperationException($"the clock only moves forward ({GetUtcNow():O} > {utc:O})");
        Interlocked.Add(ref _offsetTicks, delta.Ticks);
    }
}

/// <summary>A program on a real node and SQLite file whose host clock a test can move across tier period ends.</summary>
public sealed class TierFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

public sealed class TierTests(TierFixture f) : IClassFixture<TierFixture>
{
    private static readonly object[] Ladder =
    [
        new { name = "Bronze", threshold = "10" },
        new { name = "Silver", threshold = "100" },
        new { name = "Gold", threshold = "500" },
    ];

    private DateTime Now => f.Time.GetUtcNow().UtcDateTime;

    private async Task PolicyAsync(object policy)
    {
        var put = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, policy);
        Assert.True(put.Status == HttpStatusCode.OK, put.Body?.ToJsonString());
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase"))
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
                new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
    }

    private async Task<string> MemberAsync(string? tier = null)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier })).Status);
        return id;
    }

    private async Task<JsonNode> EventAsync(string member, string type, int? euros = null)
    {
        var sent = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type, memberId = member, eventId = $"{type}-{Guid.NewGuid():N}", amount = euros is null ? null : $"{euros}.00" });
        Assert.True(sent.Status == HttpStatusCode.Created, sent.Body?.ToJsonString());
        return sent.Body!;
    }

    private Task<JsonNode> BuyAsync(string member, int euros) => EventAsync(member, "purchase", euros);

    private async Task<JsonNode> MemberViewAsync(string member) => (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!;
    private async Task<string?> TierAsync(string member) => (await MemberViewAsync(member))["tier"]?.GetValue<string>();

    private async Task<List<JsonNode>> ChangesAsync(string member) =>
        (await f.Api.GetAsync(f.P($"/members/{member}/tier-changes"), f.AdminKey)).Body!["items"]!.AsArray().Select(x => x!).ToList();

    private async Task<int> RunTierJobAsync()
    {
        using var scope = f.Factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<TierJob>().RunAsync(CancellationToken.None);
    }

    private async Task AtAsync(DateTime utc)
    {
        f.Time.MoveTo(utc);
        await RunTierJobAsync();
    }

    [Fact]
    public async Task Upgrade_HappensAtOnce_TheQualifyingEventsResponseAndTheMemberShowTheNewTier_AndEachChangeIsRecorded()
    {
        await PolicyAsync(new { metric = "points_earned", window = "lifetime", downgrade = "never", levels = Ladder });
        var m = await MemberAsync();
        Assert.Equal("Bronze", (await BuyAsync(m, 50))["tier"]!.GetValue<string>());
        var second = await BuyAsync(m, 60);
        Assert.Equal("Silver", second["tier"]!.GetValue<string>());
        Assert.Equal("Silver", await TierAsync(m));

        var changes = await ChangesAsync(m);
        Assert.Equal(["Silver", "Bronze"], changes.Select(c => c["to"]!.GetValue<string>()));
        Assert.Equal("Bronze", changes[0]["from"]!.GetValue<string>());
        Assert.All(changes, c => Assert.Equal("qualified", c["reason"]!.GetValue<string>()));
        var status = (await MemberViewAsync(m))["tierStatus"]!;
        Assert.Equal("earned", status["source"]!.GetValue<string>());
        Assert.Equal("110", status["value"]!.GetValue<string>());
        Assert.Equal("Gold", status["next"]!.GetValue<string>());
        Assert.Equal("390", status["remaining"]!.GetValue<string>());
        Assert.Null(status["by"]);
    }

    [Fact]
    public async Task ProgressView_ShowsWhatIsLeftToTheNextTierAndTheEndOfTheWindow()
    {
        await PolicyAsync(new
        {
            metric = "money_spent", window = "calendar_year",
            levels = new[] { new { name = "Bronze", threshold = "1000" }, new { name = "Silver", threshold = "10000" }, new { name = "Gold", threshold = "50000" } },
        });
        var m = await MemberAsync();
        await BuyAsync(m, 455);
        var status = (await MemberViewAsync(m))["tierStatus"]!;
        Assert.Equal("Silver", status["current"]!.GetValue<string>());
        Assert.Equal("money_spent", status["metric"]!.GetValue<string>());
        Assert.Equal("45500", status["value"]!.GetValue<string>());
        Assert.Equal("50000", status["nextThreshold"]!.GetValue<string>());
        Assert.Equal("4500", status["remaining"]!.GetValue<string>());
        Assert.Equal($"{Now.Year}-12-31", status["by"]!.GetValue<string>());
        Assert.NotNull(status["since"]);
    }

    [Fact]
    public async Task AtPeriodEnd_CalendarYear_KeepsTheTierThroughTheNextYear_ThenDropsSeveralLevelsAtOnce()
    {
        await PolicyAsync(new { metric = "points_earned", window = "calendar_year", downgrade = "at_period_end", levels = Ladder });
        var m = await MemberAsync();
        await BuyAsync(m, 600);
        Assert.Equal("Gold", await TierAsync(m));
        var year = Now.Year;

        await AtAsync(new DateTime(year + 1, 1, 1, 2, 0, 0, DateTimeKind.Utc));
        Assert.Equal("Gold", await TierAsync(m));
        await BuyAsync(m, 20);
        await AtAsync(new DateTime(year + 1, 12, 31, 12, 0, 0, DateTimeKind.Utc));
        Assert.Equal("Gold", await TierAsync(m));

        await AtAsync(new DateTime(year + 2, 1, 1, 2, 0, 0, DateTimeKind.Utc));
        Assert.Equal("Bronze", await TierAsync(m));
        var last = (await ChangesAsync(m))[0];
        Assert.Equal(("Gold", "Bronze", "downgrade_period_end"), (last["from"]!.GetValue<string>(), last["to"]!.GetValue<string>(), last["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task OneDown_AtTheEndOfARollingPeriod_DropsOneLevelOnly_AndNever_KeepsTheTier()
    {
        await PolicyAsync(new { metric = "points_earned", window = "rolling_months", windowMonths = 2, downgrade = "one_down", levels = Ladder });
        var m = await MemberAsync();
        await BuyAsync(m, 600);
        var reached = Now;
        await AtAsync(reached.AddMonths(2).AddDays(-1));
        Assert.Equal("Gold", await TierAsync(m));
        await AtAsync(reached.AddMonths(2).AddHours(1));
        Assert.Equal("Silver", await TierAsync(m));
        Assert.Equal("downgrade_one_down", (await ChangesAsync(m))[0]["reason"]!.GetValue<string>());

        await PolicyAsync(new { metric = "points_earned", window = "rolling_months", windowMonths = 2, downgrade = "never", levels = Ladder });
        var kept = await MemberAsync();
        await BuyAsync(kept, 600);
        await AtAsync(Now.AddMonths(5));
        Assert.Equal("Gold", await TierAsync(kept));
    }

    [Fact]
    public async Task Grace_ADueDowngradeWaits_ThenIsRecheckedOnTheMetricAtGraceEnd()
    {
        await PolicyAsync(new { metric = "points_earned", window = "rolling_months", windowMonths = 2, downgrade = "at_period_end", graceDays = 10, levels = Ladder });
        var lapsed = await MemberAsync();
        var renewed = await MemberAsync();
        await BuyAsync(lapsed, 600);
        await BuyAsync(renewed, 600);
        var reached = Now;

        await AtAsync(reached.AddMonths(2).AddHours(1));
        Assert.Equal("Gold", await TierAsync(lapsed));
        await BuyAsync(renewed, 600);
        await AtAsync(reached.AddMonths(2).AddDays(10).AddHours(1));
        Assert.Null(await TierAsync(lapsed));
        Assert.Equal("downgrade_after_grace", (await ChangesAsync(lapsed))[0]["reason"]!.GetValue<string>());
        Assert.Equal("Gold", await TierAsync(renewed));
    }

    [Fact]
    public async Task InvitationOnly_IsKeptUntilRemoved_ThenTheComputedTierAppliesAtOnce()
    {
        await PolicyAsync(new
        {
            metric = "points_earned", window = "rolling_months", windowMonths = 1, downgrade = "at_period_end",
            levels = Ladder.Append(new { name = "VIP", invitationOnly = true, multiplierPercent = 200 }),
        });
        var m = await MemberAsync();
        await BuyAsync(m, 150);
        Assert.Equal("UNKNOWN_TIER", (await f.Api.PostAsync(f.P($"/members/{m}/tier"), f.AdminKey, new { tier = "Platinum" })).Body!["code"]!.GetValue<string>());
        Assert.Equal("TIER_NOT_INVITATION_ONLY", (await f.Api.PostAsync(f.P($"/members/{m}/tier"), f.AdminKey, new { tier = "Gold" })).Body!["code"]!.GetValue<string>());
        Assert.Equal("Silver", await TierAsync(m));

        var invited = await f.Api.PostAsync(f.P($"/members/{m}/tier"), f.AdminKey, new { tier = "vip" });
        Assert.Equal(HttpStatusCode.OK, invited.Status);
        Assert.Equal("invited", invited.Body!["source"]!.GetValue<string>());
        Assert.Equal("VIP", await TierAsync(m));
        await AtAsync(Now.AddMonths(3));
        Assert.Equal("VIP", await TierAsync(m));

        var removed = await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{m}/tier"), f.AdminKey);
        Assert.Equal(HttpStatusCode.OK, removed.Status);
        // The Silver period ended meanwhile (nothing earned in the last month): the computed tier is none.
        Assert.Null(await TierAsync(m));
        Assert.Equal(["invitation_removed", "invited"], (await ChangesAsync(m)).Take(2).Select(c => c["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PaidMembership_HoldsTheLevelUntilItsEnd_ARepeatPurchaseExtendsIt_ThenTheJobReevaluates()
    {
        await PolicyAsync(new
        {
            metric = "points_earned", window = "lifetime",
            levels = new object[] { Ladder[0], Ladder[1], new { name = "Plus", threshold = "100000", membershipEventType = "membership_purchase", membershipMonths = 1 } },
        });
        var once = await MemberAsync();
        var twice = await MemberAsync();
        await BuyAsync(once, 50);
        Assert.Equal("Plus", (await EventAsync(once, "membership_purchase"))["tier"]!.GetValue<string>());
        Assert.Equal("purchased", (await MemberViewAsync(once))["tierStatus"]!["source"]!.GetValue<string>());
        await EventAsync(twice, "membership_purchase");
        await EventAsync(twice, "membership_purchase");

        await AtAsync(Now.AddMonths(1).AddDays(1));
        Assert.Equal("Bronze", await TierAsync(once));
        Assert.Equal("membership_expired", (await ChangesAsync(once))[0]["reason"]!.GetValue<string>());
        Assert.Equal("Plus", await TierAsync(twice));
        await AtAsync(Now.AddMonths(1).AddDays(1));
        Assert.Null(await TierAsync(twice));
    }

    [Fact]
    public async Task Multiplier_OfTheEffectiveTier_AppliesAfterTheRules_AsItsOwnLine()
    {
        await PolicyAsync(new
        {
            metric = "points_earned", window = "lifetime",
            levels = new object[] { new { name = "Bronze", threshold = "10" }, new { name = "Gold", threshold = "500", multiplierPercent = 150 } },
        });
        var m = await MemberAsync();
        Assert.Equal("600", (await BuyAsync(m, 600))["points"]!.GetValue<string>());
        // "Try an event" in the console says the same before the event is sent: the rules' 41, the multiplier's line and why.
        var dry = (await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = "purchase", memberId = m, amount = "41.00" } })).Body!;
        Assert.Equal("61", dry["totalPoints"]!.GetValue<string>());
        Assert.Equal("Gold", dry["tierMultiplier"]!["tier"]!.GetValue<string>());
        Assert.Equal(150, dry["tierMultiplier"]!["percent"]!.GetValue<int>());
        Assert.Equal("20", dry["tierMultiplier"]!["points"]!.GetValue<string>());
        Assert.Contains("150% of 41 = 61", dry["tierMultiplier"]!["reason"]!.GetValue<string>());
        Assert.DoesNotContain(dry["rules"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "tier Gold"); // a rule verdict list, not the multiplier
        var boosted = await BuyAsync(m, 41);
        Assert.Equal("61", boosted["points"]!.GetValue<string>());
        var line = boosted["rules"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "tier Gold")!;
        Assert.Equal("20", line["points"]!.GetValue<string>());
        Assert.Contains("150% of 41 = 61", line["reason"]!.GetValue<string>());
        Assert.Equal("661", (await MemberViewAsync(m))["balance"]!["available"]!.GetValue<string>());
    }

    [Fact]
    public async Task TierOnlyReward_AndTierConditionedRule_UseTheComputedTier()
    {
        await PolicyAsync(new { metric = "points_earned", window = "lifetime", levels = Ladder });
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "referral"))
        {
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "referral", trigger = "referral", effect = new { kind = "Fixed", points = 10 } });
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
            {
                name = "double referrals at Gold", trigger = "referral", conditions = new { tiers = new[] { "Gold" } },
                effect = new { kind = "Multiplier", multiplierNumerator = 2, multiplierDenominator = 1 },
            });
        }
        var gold = await MemberAsync();
        var silver = await MemberAsync(tier: "Gold");
        Assert.Null(await TierAsync(silver));
        await BuyAsync(gold, 600);
        await BuyAsync(silver, 150);
        Assert.Equal("Silver", await TierAsync(silver));
        Assert.Equal("20", (await EventAsync(gold, "referral"))["points"]!.GetValue<string>());
        Assert.Equal("10", (await EventAsync(silver, "referral"))["points"]!.GetValue<string>());

        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "Experience", name = "gold lounge", cost = "50", tiers = new[] { "Gold" } })).Body!;
        var id = reward["id"]!.GetValue<long>();
        Assert.Equal("NOT_ELIGIBLE", (await f.Api.PostAsync(f.P($"/members/{silver}/redemptions"), f.AdminKey, new { rewardId = id })).Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{gold}/redemptions"), f.AdminKey, new { rewardId = id })).Status);
    }

    [Fact]
    public async Task PolicyChange_ReevaluatesEveryMemberAtOnce_FromTheEventLog_CountingQualifyingEventTypesOnly()
    {
        await PolicyAsync(new { metric = "points_earned", window = "lifetime", levels = Ladder });
        var m = await MemberAsync();
        await BuyAsync(m, 1);
        await BuyAsync(m, 1);
        await EventAsync(m, "review");
        Assert.Null(await TierAsync(m));

        var levels = new[] { new { name = "One", threshold = "1" }, new { name = "Two", threshold = "2" }, new { name = "Three", threshold = "3" } };
        await PolicyAsync(new { metric = "event_count", qualifyingEventTypes = new[] { "purchase" }, window = "calendar_year", levels });
        Assert.Equal("Two", await TierAsync(m));
        await PolicyAsync(new { metric = "event_count", window = "calendar_year", levels });
        Assert.Equal("Three", await TierAsync(m));
        Assert.Equal(["Three", "Two"], (await ChangesAsync(m)).Take(2).Select(c => c["to"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Return_LowersMoneySpent_AndTheTierDropsAtThePeriodEnd_NotAtOnce()
    {
        await PolicyAsync(new
        {
            metric = "money_spent", window = "calendar_year",
            levels = new[] { new { name = "Bronze", threshold = "1000" }, new { name = "Silver", threshold = "10000" }, new { name = "Gold", threshold = "50000" } },
        });
        var m = await MemberAsync();
        var order = await BuyAsync(m, 600);
        Assert.Equal("Gold", order["tier"]!.GetValue<string>());
        var returned = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "return", memberId = m, eventId = "ret-" + m, orderId = order["eventId"]!.GetValue<string>(), amount = "500.00" });
        Assert.Equal(HttpStatusCode.Created, returned.Status);
        Assert.Equal("Gold", await TierAsync(m));
        Assert.Equal("10000", (await MemberViewAsync(m))["tierStatus"]!["value"]!.GetValue<string>());

        await AtAsync(new DateTime(Now.Year + 1, 1, 1, 2, 0, 0, DateTimeKind.Utc));
        Assert.Equal("Silver", await TierAsync(m));
    }

    [Fact]
    public async Task ReachingATier_AwardsTheTierReachedBadge_InTheSameTransactionAsTheEvent()
    {
        var drop = (await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "gold badge", maxSupply = 100, soulbound = true })).Body!["id"]!.GetValue<long>();
        // A draft drop already takes queued mints: the badge is decided here, minting follows publication.
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/badges"), f.AdminKey,
            new { name = "reached gold", dropId = drop, kind = "TierReached", tier = "Gold" })).Status);
        await PolicyAsync(new { metric = "points_earned", window = "lifetime", levels = Ladder });
        var m = await MemberAsync();
        await BuyAsync(m, 100);
        async Task<int> Badges()
        {
            using var scope = f.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
            return await (from d in db.Set<Loyalty.Chain.Collectibles.DropMint>()
                          join mm in db.Set<Loyalty.Chain.Members.Member>() on d.MemberId equals mm.Id
                          where d.DropId == drop && mm.ExternalId == m && mm.ProgramId == f.ProgramId
                          select d).CountAsync();
        }
        Assert.Equal(0, await Badges());
        await BuyAsync(m, 400);
        Assert.Equal(1, await Badges());
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"levels\":\"x\"}")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":5}]}")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"99999999999999999999\"}]}")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"graceDays\":1e3,\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}")]
    [InlineData("{\"metric\":1,\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}")]
    public async Task MalformedPolicyBodies_AreCodedProblems_NeverA500(string body)
    {
        var refused = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, rawBody: body);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.False(string.IsNullOrEmpty(refused.Body?["code"]?.GetValue<string>()), refused.Body?.ToJsonString());
        var assign = await f.Api.PostAsync(f.P("/members/nobody-here/tier"), f.AdminKey, new { tier = (string?)null });
        Assert.True((int)assign.Status is 400 or 404, assign.Body?.ToJsonString());
    }

    [Theory]
    [InlineData("{\"metric\":\"points\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"downgrade\":\"0\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"rolling_months\",\"windowMonths\":0,\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"rolling_months\",\"windowMonths\":121,\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"graceDays\":366,\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"event_count\",\"window\":\"lifetime\",\"qualifyingEventTypes\":[null],\"levels\":[{\"name\":\"A\",\"threshold\":\"1\"}]}", "INVALID_TIER_POLICY")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[null]}", "INVALID_TIER_LEVEL")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"Gold\",\"threshold\":\"1\"},{\"name\":\"gold\",\"threshold\":\"2\"}]}", "INVALID_TIER_LEVEL")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"Gold\\n\",\"threshold\":\"1\"}]}", "INVALID_TIER_LEVEL")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1\",\"multiplierPercent\":0}]}", "INVALID_TIER_LEVEL")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1\",\"membershipEventType\":\"club\"}]}", "INVALID_TIER_LEVEL")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"5\"},{\"name\":\"B\",\"threshold\":\"5\"}]}", "INVALID_TIER_THRESHOLD")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"1.5\"}]}", "INVALID_TIER_THRESHOLD")]
    [InlineData("{\"metric\":\"points_earned\",\"window\":\"lifetime\",\"levels\":[{\"name\":\"A\",\"threshold\":\"-1\"}]}", "INVALID_TIER_THRESHOLD")]
    public async Task InvalidPolicy_IsRefusedWithAStableCode_AndChangesNothing(string body, string code)
    {
        await PolicyAsync(new { metric = "points_earned", window = "lifetime", levels = Ladder });
        var before = (await f.Api.GetAsync(f.P("/tiers"), f.AdminKey)).Body!.ToJsonString();
        var refused = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, rawBody: body);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(code, refused.Body!["code"]!.GetValue<string>());
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/tiers"), f.AdminKey)).Body!.ToJsonString());
    }
}
