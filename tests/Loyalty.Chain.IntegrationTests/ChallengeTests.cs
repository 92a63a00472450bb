using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Challenges;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A crash inside an award's transaction, after everything is written and before the commit, while armed.</summary>
public sealed class CrashingAwardFaults : IChallengeAwardFaults
{
    public volatile bool Armed;
    public int Crashes;

    public void BeforeCommit(long awardId)
    {
        if (!Armed) return;
        Interlocked.Increment(ref Crashes);
        throw new InvalidOperationException($"simulated crash before award {awardId} commits");
    }
}

public sealed class ChallengeFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    public CrashingAwardFaults Faults { get; } = new();
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Indexer:Interval"] = "00:00:01" };

    protected override Action<IServiceCollection>? TestServices => s =>
    {
        s.AddSingleton<TimeProvider>(Time);
        s.AddSingleton<IChallengeAwardFaults>(Faults);
    };
}

/// <summary>Challenges and journeys on a real node and SQLite file, through the HTTP API, with the Hangfire jobs running.</summary>
public sealed class ChallengeTests(ChallengeFixture f) : IClassFixture<ChallengeFixture>
{
    private DateTime Now => f.Time.GetUtcNow().UtcDateTime;

    private async Task<string> MemberAsync()
    {
        var id = "ch-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return id;
    }

    private async Task<long> ChallengeAsync(object body)
    {
        var created = await f.Api.PostAsync(f.P("/challenges"), f.AdminKey, body);
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["id"]!.GetValue<long>();
    }

    private async Task EventAsync(string member, string type, DateTime? at = null, string? amount = null)
    {
        var sent = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
        {
            type, memberId = member, eventId = $"{type}-{Guid.NewGuid():N}", amount = amount ?? (type == "purchase" ? "5.00" : null),
            occurredAt = at,
        });
        Assert.True(sent.Status == HttpStatusCode.Created, sent.Body?.ToJsonString());
    }

    private async Task<JsonNode> ViewAsync(string member, long challengeId)
    {
        var all = await f.Api.GetAsync(f.P($"/members/{member}/challenges"), f.AdminKey);
        Assert.True(all.Status == HttpStatusCode.OK, all.Body?.ToJsonString());
        return all.Body!.AsArray().Single(c => c!["id"]!.GetValue<long>() == challengeId)!;
    }

    private static string Done(JsonNode view) => string.Join(",", view["steps"]!.AsArray().Select(s => s!["done"]!.GetValue<int>()));

    private async Task<List<LedgerEntry>> ChallengeCreditsAsync(string member)
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        return await db.Set<LedgerEntry>().AsNoTracking()
            .Where(e => e.Kind == EntryKind.Challenge && e.Account == LedgerAccount.Available
                        && db.Set<Members.Member>().Any(m => m.Id == e.MemberId && m.ExternalId == member)).ToListAsync();
    }

    private async Task<int> AwardPassAsync()
    {
        // A fresh scope, as a restarted instance would have.
        using var scope = f.Factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ChallengeAwarder>().RunAsync(CancellationToken.None);
    }

    private async Task<string> AvailableAsync(string member) =>
        (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>();

    [Fact]
    public async Task Journey_OfThreeSteps_CountsOnlyInOrder_CompletesOnce_AndAwardsPointsAndAStampMintedOnChain()
    {
        var drop = await f.Api.PostAsync(f.P("/drops"), f.AdminKey,
            new { name = "Journey Stamp", description = "First journey", maxSupply = 100, audience = new { kind = "Explicit" } });
        Assert.Equal(HttpStatusCode.Created, drop.Status);
        var dropId = drop.Body!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Accepted, (await f.Api.PostAsync(f.P($"/drops/{dropId}/publish"), f.AdminKey, null)).Status);

        var id = await ChallengeAsync(new
        {
            name = "Coffee journey", ordered = true, startsAt = Now.AddDays(-2),
            steps = new object[]
            {
                new { name = "Visit", eventType = "visit" },
                new { name = "Buy coffee", eventType = "purchase", conditions = new { minAmount = 300 } },
                new { name = "Review", eventType = "review" },
            },
            reward = new { points = "100", dropId },
        });
        var m = await MemberAsync();
        // Out of order: the review and the purchase come before the visit and count for nothing.
        await EventAsync(m, "review");
        await EventAsync(m, "purchase");
        Assert.Equal("0,0,0", Done(await ViewAsync(m, id)));
        await EventAsync(m, "visit");
        await EventAsync(m, "review");
        Assert.Equal("1,0,0", Done(await ViewAsync(m, id)));
        await EventAsync(m, "purchase", amount: "2.00"); // below the step's minimum amount
        await EventAsync(m, "purchase");
        await EventAsync(m, "review");
        var view = await ViewAsync(m, id);
        Assert.Equal("1,1,1", Done(view));
        Assert.True(view["completed"]!.GetValue<bool>());
        Assert.Equal(1, view["completions"]!.GetValue<int>());
        // The whole journey again: still one completion.
        foreach (var type in new[] { "visit", "purchase", "review" }) await EventAsync(m, type);

        JsonNode? award = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            view = await ViewAsync(m, id);
            award = view["awards"]!.AsArray().SingleOrDefault();
            return award?["tokenId"] is not null;
        }, TimeSpan.FromSeconds(90)), "the stamp was never minted: " + view.ToJsonString());
        Assert.Equal(1, view["completions"]!.GetValue<int>());
        Assert.Equal("Awarded", award!["status"]!.GetValue<string>());
        Assert.Equal("100", award["points"]!.GetValue<string>());
        Assert.Equal("100", await AvailableAsync(m));
        var wallet = (await f.Api.GetAsync(f.P($"/members/{m}"), f.AdminKey)).Body!["walletAddress"]!.GetValue<string>();
        var owner = await new LoyaltyCollectibleService(f.Chain.Chain.AdminWeb3, f.CollectibleContract)
            .OwnerOfQueryAsync(BigInteger.Parse(award["tokenId"]!.GetValue<string>()));
        Assert.Equal(wallet.ToLowerInvariant(), owner.ToLowerInvariant());
        Assert.Single(await ChallengeCreditsAsync(m));
    }

    [Fact]
    public async Task WeeklyStreak_TwoConsecutiveWeeksGiveTwoCompletionsAndStreakTwo_ASkippedWeekResetsIt()
    {
        var id = await ChallengeAsync(new
        {
            name = "Weekly coffee", repeat = "weekly", startsAt = Now.AddDays(-30),
            steps = new[] { new { name = "Two coffees", eventType = "purchase", count = 2 } }, reward = new { points = "10" },
        });
        var m = await MemberAsync();
        await EventAsync(m, "purchase", Now.AddDays(-14));
        await EventAsync(m, "purchase", Now.AddDays(-14).AddMinutes(1));
        await EventAsync(m, "purchase", Now.AddDays(-7));
        var view = await ViewAsync(m, id);
        Assert.Equal(1, view["completions"]!.GetValue<int>());
        await EventAsync(m, "purchase", Now.AddDays(-7).AddMinutes(1));
        // A third purchase in a completed week does not complete it again.
        await EventAsync(m, "purchase", Now.AddDays(-7).AddMinutes(2));
        view = await ViewAsync(m, id);
        Assert.Equal(2, view["completions"]!.GetValue<int>());
        Assert.Equal(2, view["streak"]!["current"]!.GetValue<int>());
        Assert.Equal(2, view["streak"]!["best"]!.GetValue<int>());
        Assert.Equal(ChallengeLogic.PeriodOf(ChallengeRepeat.Weekly, Now, TimeZoneInfo.Utc), view["period"]!.GetValue<string>());
        Assert.False(view["completed"]!.GetValue<bool>());
        Assert.Equal("0", Done(view));

        // This week is skipped: the next one starts a new streak.
        f.Time.MoveTo(Now.AddDays(7));
        await EventAsync(m, "purchase");
        await EventAsync(m, "purchase");
        view = await ViewAsync(m, id);
        Assert.Equal(3, view["completions"]!.GetValue<int>());
        Assert.True(view["completed"]!.GetValue<bool>());
        Assert.Equal(1, view["streak"]!["current"]!.GetValue<int>());
        Assert.Equal(2, view["streak"]!["best"]!.GetValue<int>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await AvailableAsync(m) == "30", TimeSpan.FromSeconds(60)));
        Assert.Equal(3, (await ChallengeCreditsAsync(m)).Count);
    }

    [Fact]
    public async Task DistinctDays_SeveralEventsOnOneDayCountOnce()
    {
        var id = await ChallengeAsync(new
        {
            name = "Three days", startsAt = Now.AddDays(-10),
            steps = new[] { new { name = "Visit on three days", eventType = "visit", count = 3, distinctDays = true } },
            reward = new { points = "7" },
        });
        var m = await MemberAsync();
        var day = Now.Date.AddDays(-5).AddHours(9);
        await EventAsync(m, "visit", day);
        await EventAsync(m, "visit", day.AddHours(3));
        await EventAsync(m, "visit", day.AddHours(14).AddMinutes(59));
        Assert.Equal("1", Done(await ViewAsync(m, id)));
        await EventAsync(m, "visit", day.AddDays(1));
        Assert.Equal("2", Done(await ViewAsync(m, id)));
        Assert.Equal(0, (await ViewAsync(m, id))["completions"]!.GetValue<int>());
        await EventAsync(m, "visit", day.AddDays(3));
        var view = await ViewAsync(m, id);
        Assert.Equal(1, view["completions"]!.GetValue<int>());
        Assert.True(view["steps"]![0]!["complete"]!.GetValue<bool>());
        Assert.Null(view["streak"]);
    }

    [Fact]
    public async Task CrashBetweenCompletionAndAward_LosesNothing_TheNextPassAwardsExactlyOnce()
    {
        var id = await ChallengeAsync(new
        {
            name = "Crash course", startsAt = Now.AddDays(-1),
            steps = new[] { new { name = "Review", eventType = "review" } }, reward = new { points = "25" },
        });
        var m = await MemberAsync();
        f.Faults.Armed = true;
        try
        {
            var crashes = f.Faults.Crashes;
            await EventAsync(m, "review");
            // The completion and its award row are committed with the event; the award's own transaction crashes.
            Assert.Equal(0, await AwardPassAsync());
            Assert.True(f.Faults.Crashes > crashes);
            var view = await ViewAsync(m, id);
            Assert.Equal(1, view["completions"]!.GetValue<int>());
            Assert.Equal("Pending", view["awards"]![0]!["status"]!.GetValue<string>());
            Assert.Equal("0", await AvailableAsync(m));
            Assert.Empty(await ChallengeCreditsAsync(m));
        }
        finally
        {
            f.Faults.Armed = false;
        }
        // The restarted instance (a fresh scope; the recurring job may get there first): awarded once.
        await AwardPassAsync();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await ViewAsync(m, id))["awards"]![0]!["status"]!.GetValue<string>() == "Awarded",
            TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await AwardPassAsync());
        Assert.Equal("25", await AvailableAsync(m));
        var credits = await ChallengeCreditsAsync(m);
        Assert.Equal(25, Assert.Single(credits).Amount);
        Assert.NotNull(credits[0].MintIntentId);
    }

    [Fact]
    public async Task Validation_RefusesBadDefinitionsWithStableCodes_AndChangesNothing()
    {
        var before = (await f.Api.GetAsync(f.P("/challenges"), f.AdminKey)).Body!.AsArray().Count;
        var step = new { name = "Buy", eventType = "purchase" };
        (object Body, string Code)[] cases =
        [
            (new { steps = new[] { step }, reward = new { points = "1" } }, "INVALID_CHALLENGE"),
            (new { name = "x", steps = Array.Empty<object>(), reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = Enumerable.Repeat(step, 11).ToArray(), reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new object?[] { null }, reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { new { name = "Buy", eventType = "purchase", count = 0 } }, reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { new { name = "Back", eventType = "return", count = 1 } }, reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { new { name = "Seg", eventType = "purchase", conditions = new { segments = new[] { 1L } } } }, reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { new { name = "Buy", eventType = "buy coffee", count = 1 } }, reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { new { name = "Buy", eventType = "purchase", conditions = new { fromHour = 30 } } }, reward = new { points = "1" } },
                "INVALID_CHALLENGE_STEP"),
            (new { name = "x", repeat = "daily", steps = new[] { new { name = "Buy", eventType = "purchase", count = 2, distinctDays = true } },
                reward = new { points = "1" } }, "INVALID_CHALLENGE_STEP"),
            (new { name = "x", steps = new[] { step } }, "INVALID_CHALLENGE_REWARD"),
            (new { name = "x", steps = new[] { step }, reward = new { points = "0" } }, "INVALID_CHALLENGE_REWARD"),
            (new { name = "x", steps = new[] { step }, reward = new { points = "1.5" } }, "INVALID_CHALLENGE_REWARD"),
            (new { name = "x", steps = new[] { step }, reward = new { points = "-3" } }, "INVALID_CHALLENGE_REWARD"),
            (new { name = "x", steps = new[] { step }, reward = new { dropId = 999999 } }, "UNKNOWN_DROP"),
            (new { name = "x", startsAt = Now, endsAt = Now.AddDays(-1), steps = new[] { step }, reward = new { points = "1" } }, "INVALID_CHALLENGE"),
            (new { name = "x", maxCompletionsPerMember = 0, steps = new[] { step }, reward = new { points = "1" } }, "INVALID_CHALLENGE"),
        ];
        foreach (var (body, code) in cases)
        {
            var refused = await f.Api.PostAsync(f.P("/challenges"), f.AdminKey, body);
            Assert.True(refused.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, refused.Body?.ToJsonString());
            Assert.Equal(code, refused.Body!["code"]!.GetValue<string>());
        }
        var numericRepeat = await f.Api.SendAsync(HttpMethod.Post, f.P("/challenges"), f.AdminKey,
            rawBody: """{"name":"x","repeat":1,"steps":[{"name":"Buy","eventType":"purchase"}],"reward":{"points":"1"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, numericRepeat.Status);
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/challenges"), f.AdminKey)).Body!.AsArray().Count);

        Assert.Equal("UNKNOWN_CHALLENGE", (await f.Api.GetAsync(f.P("/challenges/999999"), f.AdminKey)).Body!["code"]!.GetValue<string>());

        // Steps are editable until a member has progress, then frozen; the rest stays editable.
        var id = await ChallengeAsync(new { name = "Editable", startsAt = Now.AddDays(-1), steps = new[] { step }, reward = new { points = "1" } });
        var edited = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/challenges/{id}"), f.AdminKey,
            new { steps = new[] { new { name = "Buy twice", eventType = "purchase", count = 2 } } });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        var m = await MemberAsync();
        await EventAsync(m, "purchase");
        var locked = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/challenges/{id}"), f.AdminKey,
            new { name = "Renamed", steps = new[] { step } });
        Assert.Equal(HttpStatusCode.Conflict, locked.Status);
        Assert.Equal("CHALLENGE_STEPS_LOCKED", locked.Body!["code"]!.GetValue<string>());
        var current = (await f.Api.GetAsync(f.P($"/challenges/{id}"), f.AdminKey)).Body!;
        Assert.Equal("Editable", current["name"]!.GetValue<string>());
        Assert.Equal(2, current["steps"]![0]!["count"]!.GetValue<int>());
        var renamed = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/challenges/{id}"), f.AdminKey, new { name = "Renamed", active = false });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("Renamed", renamed.Body!["name"]!.GetValue<string>());
        Assert.False(renamed.Body!["active"]!.GetValue<bool>());
        // Inactive: no longer in the member's view.
        Assert.DoesNotContain((await f.Api.GetAsync(f.P($"/members/{m}/challenges"), f.AdminKey)).Body!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
    }
}
