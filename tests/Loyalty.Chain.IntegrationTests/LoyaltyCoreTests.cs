using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Events, rules, idempotency, returns and the ledger, through the HTTP API on a real node and SQLite file.</summary>
public sealed class LoyaltyCoreTests(PendingProgramFixture f) : IClassFixture<PendingProgramFixture>
{
    private async Task<string> EnrolAsync()
    {
        var id = "m-" + Guid.NewGuid().ToString("N")[..12];
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, email = id + "@example.com", tier = "gold" });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return id;
    }

    private async Task EnsureRulesAsync()
    {
        var rules = await f.Api.GetAsync(f.P("/rules"), f.AdminKey);
        if (rules.Body!.AsArray().Count > 0) return;
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "1 bean per euro", trigger = "purchase", priority = 10,
            effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100, rounding = "Floor" },
        })).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "review bonus", trigger = "review", priority = 10, effect = new { kind = "Fixed", points = 50 },
            limits = new { perMemberPerDay = 50 },
        })).Status);
    }

    private async Task<JsonNode> MemberAsync(string id) => (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!;

    private static string Pending(JsonNode member) => member["balance"]!["pending"]!.GetValue<string>();

    [Fact]
    public async Task Purchase_AwardsPointsPerEuro_AndListsWhichRulesFiredAndWhy()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = member, eventId = "o-" + member, amount = "49.90", currency = "EUR" }, "k-" + member);

        Assert.Equal(HttpStatusCode.Created, r.Status);
        Assert.Equal("49", r.Body!["points"]!.GetValue<string>());
        Assert.Equal("pending", r.Body["status"]!.GetValue<string>());
        var fired = r.Body["rules"]!.AsArray().Single(x => x!["fired"]!.GetValue<bool>());
        Assert.Equal("1 bean per euro", fired!["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(fired["reason"]!.GetValue<string>()));
        Assert.Equal("49", Pending(await MemberAsync(member)));
    }

    [Fact]
    public async Task SameEventTwice_BySameKeyOrSameEventId_AwardsOnce()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        var body = new { type = "purchase", memberId = member, eventId = "o-" + member, amount = "10.00" };

        var first = await f.Api.PostAsync(f.P("/events"), f.AdminKey, body, "key-" + member);
        var replay = await f.Api.PostAsync(f.P("/events"), f.AdminKey, body, "key-" + member);
        var sameId = await f.Api.PostAsync(f.P("/events"), f.AdminKey, body, "other-key-" + member);
        var noKey = await f.Api.PostAsync(f.P("/events"), f.AdminKey, body);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Body!["id"]!.GetValue<long>(), replay.Body!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, sameId.Status);
        Assert.Equal(HttpStatusCode.OK, noKey.Status);
        Assert.Equal("10", Pending(await MemberAsync(member)));
    }

    [Fact]
    public async Task SameKeyWithAnotherBody_Is422AndChangesNothing()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = "a-" + member, amount = "10.00" }, "reuse-" + member);

        var reused = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = member, eventId = "b-" + member, amount = "99.00" }, "reuse-" + member);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.Status);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", reused.Body!["code"]!.GetValue<string>());
        Assert.Equal("application/problem+json", reused.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("10", Pending(await MemberAsync(member)));
    }

    [Fact]
    public async Task ParallelEventsForOneMember_LoseNothing()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        var tasks = Enumerable.Range(0, 40).Select(i => f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = member, eventId = $"p{i}-{member}", amount = "3.00" }, $"par-{i}-{member}"));
        var results = await Task.WhenAll(tasks);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal("120", Pending(await MemberAsync(member)));
        await AssertBalancesDerivableFromEntriesAsync(member);
    }

    [Fact]
    public async Task Return_PartialThenFull_ClawsBackExactlyTheOrdersPoints()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = "o1-" + member, amount = "100.00" });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = "o2-" + member, amount = "7.00" });

        var partial = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "return", memberId = member, eventId = "r1-" + member, orderId = "o1-" + member, amount = "33.33" });
        Assert.Equal("33", partial.Body!["clawedBack"]!.GetValue<string>());
        var rest = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "return", memberId = member, eventId = "r2-" + member, orderId = "o1-" + member });
        Assert.Equal("67", rest.Body!["clawedBack"]!.GetValue<string>());
        var again = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "return", memberId = member, eventId = "r3-" + member, orderId = "o1-" + member });
        Assert.Equal("INVALID_REFUND", again.Body!["code"]!.GetValue<string>());

        Assert.Equal("7", Pending(await MemberAsync(member)));
        await AssertBalancesDerivableFromEntriesAsync(member);
    }

    [Fact]
    public async Task ActionRule_WithDailyLimit_AwardsOncePerDay()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        var first = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "review", memberId = member, eventId = "rv1-" + member });
        var second = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "review", memberId = member, eventId = "rv2-" + member });
        Assert.Equal("50", first.Body!["points"]!.GetValue<string>());
        Assert.Equal("0", second.Body!["points"]!.GetValue<string>());
        Assert.Contains("limit", second.Body["rules"]![0]!["reason"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"nobody-here\",\"eventId\":\"x1\",\"amount\":\"1.00\"}", 404, "UNKNOWN_MEMBER")]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"MEMBER\",\"eventId\":\"x2\",\"amount\":\"-5.00\"}", 400, "NEGATIVE_AMOUNT")]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"MEMBER\",\"eventId\":\"x3\",\"amount\":\"5.00\",\"currency\":\"ABC\"}", 400, "UNKNOWN_CURRENCY")]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"MEMBER\",\"eventId\":\"bad id with spaces\",\"amount\":\"5.00\"}", 400, "INVALID_ID")]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"MEMBER\",\"eventId\":\"x4\",\"amount\":\"5.001\"}", 400, "INVALID_AMOUNT")]
    [InlineData("{\"type\":\"Purchase!\",\"memberId\":\"MEMBER\",\"eventId\":\"x5\"}", 400, "INVALID_EVENT_TYPE")]
    [InlineData("{\"type\":\"purchase\",\"memberId\":\"MEMBER\",\"eventId\":\"x6\",\"amount\":1e400}", 400, "INVALID_AMOUNT")]
    [InlineData("{not json", 400, "MALFORMED_JSON")]
    public async Task BadEvent_GetsProblemDetailsWithStableCode_AndChangesNothing(string body, int status, string code)
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        var r = await f.Api.SendAsync(HttpMethod.Post, f.P("/events"), f.AdminKey, rawBody: body.Replace("MEMBER", member));

        Assert.Equal(status, (int)r.Status);
        Assert.Equal(code, r.Body!["code"]!.GetValue<string>());
        var m = await MemberAsync(member);
        Assert.Equal("0", Pending(m));
        Assert.Equal("0", m["balance"]!["lifetimeEarned"]!.GetValue<string>());
    }

    [Fact]
    public async Task OversizeBody_Is413WithCode()
    {
        var member = await EnrolAsync();
        var huge = "{\"type\":\"purchase\",\"memberId\":\"" + member + "\",\"eventId\":\"big\",\"amount\":\"1.00\",\"pad\":\"" + new string('x', 2_000_000) + "\"}";
        var r = await f.Api.SendAsync(HttpMethod.Post, f.P("/events"), f.AdminKey, rawBody: huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.Status);
        Assert.Equal("BODY_TOO_LARGE", r.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task History_IsPagedNewestFirst()
    {
        await EnsureRulesAsync();
        var member = await EnrolAsync();
        for (var i = 0; i < 5; i++)
            await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = $"h{i}-{member}", amount = $"{i + 1}.00" });

        var page1 = (await f.Api.GetAsync(f.P($"/members/{member}/history?limit=3"), f.AdminKey)).Body!;
        var items = page1["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        Assert.Equal(new[] { "5", "4", "3" }, items.Select(x => x!["amount"]!.GetValue<string>()));
        var next = page1["nextBefore"]!.GetValue<long>();
        var page2 = (await f.Api.GetAsync(f.P($"/members/{member}/history?limit=3&before={next}"), f.AdminKey)).Body!;
        Assert.Equal(new[] { "2", "1" }, page2["items"]!.AsArray().Select(x => x!["amount"]!.GetValue<string>()));
        Assert.Null(page2["nextBefore"]);
    }

    private async Task AssertBalancesDerivableFromEntriesAsync(string externalId)
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var member = await db.Set<Member>().SingleAsync(m => m.ProgramId == f.ProgramId && m.ExternalId == externalId);
        var balance = await db.Set<MemberBalance>().SingleAsync(b => b.MemberId == member.Id);
        var sums = await db.Set<LedgerEntry>().Where(e => e.MemberId == member.Id).GroupBy(e => e.Account)
            .Select(g => new { g.Key, Sum = g.Sum(e => e.Amount) }).ToListAsync();
        long Sum(LedgerAccount a) => sums.SingleOrDefault(s => s.Key == a)?.Sum ?? 0;
        Assert.Equal(balance.Pending, Sum(LedgerAccount.Pending));
        Assert.Equal(balance.Available, Sum(LedgerAccount.Available));
        Assert.Equal(balance.Reserved, Sum(LedgerAccount.Reserved));
        // Double entry: every posting sums to zero.
        Assert.Equal(0, await db.Set<LedgerEntry>().Where(e => e.ProgramId == f.ProgramId).SumAsync(e => e.Amount));
    }
}
