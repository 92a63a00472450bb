using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Earning;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Loyalty.Chain.IntegrationTests.IntakeCommitQueueTests;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Bursts of concurrent events through the HTTP API, written by the intake writer in shared transactions (group
/// commit): duplicates, refused events, one order's returns and one member's limits inside the same batches
/// must come out exactly as if the events had been written one at a time.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class IntakeGroupCommitTests(PendingProgramFixture f) : IClassFixture<PendingProgramFixture>
{
    private sealed record Sent(string Label, string? Key, object Body);

    private sealed record Answer(Sent Request, HttpStatusCode Status, JsonNode? Body, bool Replayed)
    {
        public long Id => Body!["id"]!.GetValue<long>();
        public long Points => long.Parse(Body!["points"]!.GetValue<string>());
        public string? Code => Body?["code"]?.GetValue<string>();
    }

    private async Task<List<string>> EnrolAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => "gc-" + Guid.NewGuid().ToString("N")[..12]).ToList();
        foreach (var id in ids)
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return ids;
    }

    private async Task RuleAsync(object rule)
    {
        var created = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, rule);
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
    }

    /// <summary>Sends everything at once, in a shuffled order, and collects every answer.</summary>
    private async Task<List<Answer>> BurstAsync(IEnumerable<Sent> requests)
    {
        var shuffled = requests.OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = await Task.WhenAll(shuffled.Select(async r =>
        {
            var (status, body, response) = await f.Api.PostAsync(f.P("/events"), f.AdminKey, r.Body, r.Key);
            return new Answer(r, status, body, response.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Single() == "true");
        }));
        return [.. answers];
    }

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>The member's cached balances, and what its ledger entries add up to.</summary>
    private Task<(MemberBalance Balance, long PendingEntries)> LedgerAsync(string externalId) => DbAsync(async db =>
    {
        var member = await db.Set<Member>().SingleAsync(m => m.ProgramId == f.ProgramId && m.ExternalId == externalId);
        var balance = await db.Set<MemberBalance>().AsNoTracking().SingleAsync(b => b.MemberId == member.Id);
        var pending = await db.Set<LedgerEntry>().Where(e => e.MemberId == member.Id && e.Account == LedgerAccount.Pending).SumAsync(e => e.Amount);
        return (balance, pending);
    });

    [Fact]
    public async Task ConcurrentDuplicates_ByKeyOrByEventId_AreCreditedOnce_AndAnsweredAsReplays()
    {
        var type = "sale-" + Guid.NewGuid().ToString("N")[..6];
        await RuleAsync(new { name = "1 per euro", trigger = type, effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var members = await EnrolAsync(12);
        object Body(int i, int euros) => new { type, memberId = members[i % members.Count], eventId = $"{type}-{i}", amount = $"{euros}.00" };
        var euros = Enumerable.Range(0, 120).Select(i => 1 + i % 9).ToArray();

        var requests = new List<Sent>();
        for (var i = 0; i < 120; i++) requests.Add(new Sent($"event {i}", $"key-{type}-{i}", Body(i, euros[i])));
        for (var i = 0; i < 20; i++) requests.Add(new Sent($"same key {i}", $"key-{type}-{i}", Body(i, euros[i])));
        for (var i = 20; i < 40; i++) requests.Add(new Sent($"same event {i}", $"other-{type}-{i}", Body(i, euros[i])));
        for (var i = 40; i < 50; i++) requests.Add(new Sent($"no key {i}", null, Body(i, euros[i])));
        // The same key with another body: whichever is first wins, the other is refused.
        for (var i = 100; i < 110; i++) requests.Add(new Sent($"reused key {i}", $"key-{type}-{i}", Body(i, euros[i] + 50)));
        using var sizes = new BatchSizes();

        var answers = await BurstAsync(requests);

        var created = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        Assert.Equal(120, created.Count);
        Assert.Equal(120, created.Select(a => a.Body!["eventId"]!.GetValue<string>()).Distinct().Count());
        var firstById = created.ToDictionary(a => a.Body!["eventId"]!.GetValue<string>());
        foreach (var replay in answers.Where(a => a.Request.Label.StartsWith("same") || a.Request.Label.StartsWith("no key")))
        {
            var eventId = (string)replay.Request.Body.GetType().GetProperty("eventId")!.GetValue(replay.Request.Body)!;
            if (replay.Status == HttpStatusCode.Created) continue; // it won the race; its twin is the replay
            Assert.Equal(HttpStatusCode.OK, replay.Status);
            Assert.True(replay.Replayed, replay.Request.Label);
            Assert.Equal(firstById[eventId].Id, replay.Id);
        }
        foreach (var i in Enumerable.Range(100, 10))
        {
            var pair = answers.Where(a => a.Request.Key == $"key-{type}-{i}").ToList();
            Assert.Single(pair, a => a.Status == HttpStatusCode.Created);
            Assert.Single(pair, a => a.Status == HttpStatusCode.UnprocessableEntity && a.Code == "IDEMPOTENCY_KEY_REUSED");
        }

        Assert.Equal(120, await DbAsync(db => db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == f.ProgramId && e.Type == type)));
        foreach (var member in members)
        {
            var credited = created.Where(a => a.Body!["memberId"]!.GetValue<string>() == member).Sum(a => a.Points);
            var (balance, entries) = await LedgerAsync(member);
            Assert.Equal(credited, balance.Pending);
            Assert.Equal(credited, balance.LifetimeEarned);
            Assert.Equal(credited, entries);
        }
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }

    [Fact]
    public async Task RefusedEvents_InsideABurst_GetTheirOwnCode_AndChangeNothing_WhileTheRestCommit()
    {
        var type = "visit-" + Guid.NewGuid().ToString("N")[..6];
        await RuleAsync(new { name = "visit bonus", trigger = type, effect = new { kind = "Fixed", points = 5 } });
        var members = await EnrolAsync(6);
        var requests = Enumerable.Range(0, 60)
            .Select(i => new Sent("good", $"good-{type}-{i}", new { type, memberId = members[i % 6], eventId = $"{type}-{i}" })).ToList();
        requests.AddRange(Enumerable.Range(0, 5)
            .Select(i => new Sent("UNKNOWN_MEMBER", $"stranger-{type}-{i}", new { type, memberId = $"nobody-{type}-{i}", eventId = $"{type}-x{i}" })));
        requests.AddRange(Enumerable.Range(0, 5).Select(i => new Sent("UNKNOWN_ORDER", $"return-{type}-{i}",
            new { type = "return", memberId = members[i], eventId = $"ret-{type}-{i}", orderId = $"no-such-order-{type}" })));
        using var sizes = new BatchSizes();

        var answers = await BurstAsync(requests);

        Assert.All(answers.Where(a => a.Request.Label == "good"), a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.All(answers.Where(a => a.Request.Label != "good"), a =>
        {
            Assert.Equal(HttpStatusCode.NotFound, a.Status);
            Assert.Equal(a.Request.Label, a.Code);
        });
        var refusedKeys = requests.Where(r => r.Label != "good").Select(r => r.Key).ToList();
        Assert.Equal(0, await DbAsync(db => db.Set<IdempotencyRecord>().CountAsync(r => r.ProgramId == f.ProgramId && refusedKeys.Contains(r.Key))));
        Assert.Equal(0, await DbAsync(db => db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == f.ProgramId && e.Type == "return"
                                                                                && e.ExternalId.StartsWith("ret-" + type))));
        foreach (var member in members)
        {
            var (balance, entries) = await LedgerAsync(member);
            Assert.Equal(50, balance.Pending);
            Assert.Equal(50, entries);
        }
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }

    [Fact]
    public async Task ConcurrentPartialReturnsOfOneOrder_ClawBackExactlyItsPoints_AndTheRestAreRefused()
    {
        var rules = await f.Api.GetAsync(f.P("/rules"), f.AdminKey);
        if (!rules.Body!.AsArray().Any(r => r!["trigger"]!.GetValue<string>() == "purchase"))
            await RuleAsync(new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var members = await EnrolAsync(5);
        var buyer = members[0];
        var order = "order-" + buyer;
        var bought = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = buyer, eventId = order, amount = "100.00" });
        Assert.Equal("100", bought.Body!["points"]!.GetValue<string>());

        // 16 returns of 10.00 against a 100.00 order, among other members' purchases.
        var requests = Enumerable.Range(0, 16).Select(i => new Sent("return", $"r-{buyer}-{i}",
            new { type = "return", memberId = buyer, eventId = $"r{i}-{buyer}", orderId = order, amount = "10.00" })).ToList();
        requests.AddRange(Enumerable.Range(0, 40).Select(i => new Sent("purchase", $"p-{buyer}-{i}",
            new { type = "purchase", memberId = members[1 + i % 4], eventId = $"p{i}-{buyer}", amount = "3.00" })));
        using var sizes = new BatchSizes();

        var answers = await BurstAsync(requests);

        var returns = answers.Where(a => a.Request.Label == "return").ToList();
        Assert.Equal(10, returns.Count(a => a.Status == HttpStatusCode.Created));
        Assert.All(returns.Where(a => a.Status != HttpStatusCode.Created), a => Assert.Equal("INVALID_REFUND", a.Code));
        Assert.Equal(100, returns.Where(a => a.Status == HttpStatusCode.Created).Sum(a => long.Parse(a.Body!["clawedBack"]!.GetValue<string>())));
        Assert.All(answers.Where(a => a.Request.Label == "purchase"), a => Assert.Equal(HttpStatusCode.Created, a.Status));
        var (buyerBalance, buyerEntries) = await LedgerAsync(buyer);
        Assert.Equal((0L, 0L), (buyerBalance.Pending, buyerEntries));
        foreach (var member in members.Skip(1))
        {
            var (balance, entries) = await LedgerAsync(member);
            Assert.Equal((30L, 30L), (balance.Pending, entries));
        }
        var refunded = await DbAsync(db => db.Set<LoyaltyEvent>().Where(e => e.ProgramId == f.ProgramId && e.Type == "purchase" && e.ExternalId == order)
            .Select(e => e.Refunded).SingleAsync());
        Assert.Equal(10_000, refunded);
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }

    [Fact]
    public async Task OneMemberManyTimesInOneBurst_GetsExactlyTheDailyLimit_AndACampaignBudgetIsSpentExactly()
    {
        var type = "checkin-" + Guid.NewGuid().ToString("N")[..6];
        await RuleAsync(new { name = "daily check-in", trigger = type, effect = new { kind = "Fixed", points = 10 }, limits = new { perMemberPerDay = 55 } });
        await RuleAsync(new { name = "launch budget", trigger = type, effect = new { kind = "Fixed", points = 7 }, limits = new { budget = 100 } });
        var members = await EnrolAsync(3);
        // One instant for all, so the whole burst falls on one local day whenever the test runs.
        var at = DateTime.UtcNow.AddMinutes(-1);
        var counts = new[] { 40, 20, 20 };
        var requests = members.SelectMany((m, k) => Enumerable.Range(0, counts[k]).Select(i =>
            new Sent(m, $"{type}-{m}-{i}", new { type, memberId = m, eventId = $"{type}-{m}-{i}", occurredAt = at }))).ToList();
        using var sizes = new BatchSizes();

        var answers = await BurstAsync(requests);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        var awards = await DbAsync(db => db.Set<RuleAward>().Where(a => a.ProgramId == f.ProgramId)
            .Join(db.Set<EarningRule>().Where(r => r.Trigger == type), a => a.RuleId, r => r.Id, (a, r) => new { r.Name, a.MemberId, a.Points })
            .ToListAsync());
        var memberIds = await DbAsync(db => db.Set<Member>().Where(m => m.ProgramId == f.ProgramId && members.Contains(m.ExternalId))
            .ToDictionaryAsync(m => m.ExternalId, m => m.Id));
        foreach (var member in members)
        {
            Assert.Equal(55, awards.Where(a => a.Name == "daily check-in" && a.MemberId == memberIds[member]).Sum(a => a.Points));
            var credited = answers.Where(a => a.Request.Label == member).Sum(a => a.Points);
            var (balance, entries) = await LedgerAsync(member);
            Assert.Equal((credited, credited), (balance.Pending, entries));
        }
        Assert.Equal(100, awards.Where(a => a.Name == "launch budget").Sum(a => a.Points));
        Assert.Equal(3 * 55 + 100, answers.Sum(a => a.Points));
        Assert.Contains(answers, a => a.Body!["rules"]!.AsArray().Any(r => r!["reason"]!.GetValue<string>().Contains("daily limit 55 reached")));
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }
}
