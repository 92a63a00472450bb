using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Earning;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>POST /rules/dry-run: the pure rule engine on a posted event and the member's real facts, with the engine's reasons; nothing written.</summary>
public sealed class RuleDryRunTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    private async Task<(string Trigger, string Member, long Big, long Small)> SetUpAsync()
    {
        var trigger = Unique("dry").ToLowerInvariant();
        var member = Unique("dry-m");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member })).Status);
        var big = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "big spender", trigger, conditions = new { minAmount = 5000 }, effect = new { kind = "Fixed", points = 50 },
        });
        var small = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "per euro", trigger, effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 }, limits = new { perMemberPerDay = 100 },
        });
        return (trigger, member, big.Body!["id"]!.GetValue<long>(), small.Body!["id"]!.GetValue<long>());
    }

    private static JsonObject Outcome(JsonNode body, long ruleId) =>
        body["rules"]!.AsArray().Single(r => r!["ruleId"]!.GetValue<long>() == ruleId)!.AsObject();

    [Fact]
    public async Task DryRun_SaysWhichRulesFireAndWhy_FromTheEnginesReasons()
    {
        var (trigger, member, big, small) = await SetUpAsync();
        var run = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = trigger, memberId = member, amount = "12.00" } });
        Assert.Equal(HttpStatusCode.OK, run.Status);
        var body = run.Body!;
        Assert.Equal("12", body["totalPoints"]!.GetValue<string>());
        Assert.False(body["written"]!.GetValue<bool>());
        var bigOutcome = Outcome(body, big);
        Assert.False(bigOutcome["fired"]!.GetValue<bool>());
        Assert.Equal("ConditionNotMet", bigOutcome["code"]!.GetValue<string>());
        Assert.Contains("below minimum", bigOutcome["reason"]!.GetValue<string>());
        var smallOutcome = Outcome(body, small);
        Assert.True(smallOutcome["fired"]!.GetValue<bool>());
        Assert.Equal("12", smallOutcome["points"]!.GetValue<string>());
        Assert.Equal("Fired", smallOutcome["code"]!.GetValue<string>());

        var rich = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = trigger, memberId = member, amount = "60.00" } });
        Assert.True(Outcome(rich.Body!, big)["fired"]!.GetValue<bool>());
        Assert.Equal("110", rich.Body!["totalPoints"]!.GetValue<string>());
    }

    [Fact]
    public async Task DryRun_ReadsTheMembersUsage_SoALimitAlreadyReachedIsReported()
    {
        var (trigger, member, _, small) = await SetUpAsync();
        var real = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = Unique("e"), amount = "100.00" });
        Assert.Equal(HttpStatusCode.Created, real.Status);
        var run = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = trigger, memberId = member, amount = "5.00" } });
        var outcome = Outcome(run.Body!, small);
        Assert.False(outcome["fired"]!.GetValue<bool>());
        Assert.Equal("LimitReached", outcome["code"]!.GetValue<string>());
        Assert.Contains("daily limit", outcome["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task DryRun_WithADraftRule_TriesTheEditWithoutSavingIt()
    {
        var (trigger, member, big, _) = await SetUpAsync();
        var run = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new
        {
            @event = new { type = trigger, memberId = member, amount = "12.00" },
            draft = new { name = "big spender (lower bar)", trigger, conditions = new { minAmount = 1000 }, effect = new { kind = "Fixed", points = 50 } },
            draftRuleId = big,
        });
        Assert.Equal(HttpStatusCode.OK, run.Status);
        var outcome = Outcome(run.Body!, big);
        Assert.True(outcome["fired"]!.GetValue<bool>());
        Assert.True(outcome["draft"]!.GetValue<bool>());
        var stored = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray().Single(r => r!["id"]!.GetValue<long>() == big)!;
        Assert.Equal(5000, stored["conditions"]!["minAmount"]!.GetValue<long>());
    }

    [Fact]
    public async Task DryRun_WritesNothing()
    {
        var (trigger, member, _, _) = await SetUpAsync();
        async Task<(int, int, int, int, int)> CountsAsync() => await DbAsync(async db => (
            await db.Set<LoyaltyEvent>().CountAsync(), await db.Set<RuleAward>().CountAsync(), await db.Set<Accrual>().CountAsync(),
            await db.Set<LedgerEntry>().CountAsync(), await db.Set<IdempotencyRecord>().CountAsync()));
        var before = await CountsAsync();
        for (var i = 0; i < 3; i++)
        {
            var run = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = trigger, memberId = member, amount = "20.00" } },
                Guid.NewGuid().ToString());
            Assert.Equal(HttpStatusCode.OK, run.Status);
        }
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task DryRun_IsForAdminsOnly_AndRefusesBadInputWithCodes()
    {
        var (trigger, member, _, _) = await SetUpAsync();
        var shop = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>();
        var body = new { @event = new { type = trigger, memberId = member, amount = "1.00" } };
        var asShop = await f.Api.PostAsync(f.P("/rules/dry-run"), shop, body);
        Assert.Equal(HttpStatusCode.Forbidden, asShop.Status);
        Assert.Equal("FORBIDDEN", asShop.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Api.PostAsync(f.P("/rules/dry-run"), null, body)).Status);

        var unknown = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = trigger, memberId = "nobody-here", amount = "1.00" } });
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("UNKNOWN_MEMBER", unknown.Body!["code"]!.GetValue<string>());
        var noEvent = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { });
        Assert.Equal("INVALID_EVENT", noEvent.Body!["code"]!.GetValue<string>());
        var badType = await f.Api.PostAsync(f.P("/rules/dry-run"), f.AdminKey, new { @event = new { type = "Bad Type", memberId = member } });
        Assert.Equal("INVALID_EVENT_TYPE", badType.Body!["code"]!.GetValue<string>());
    }
}
