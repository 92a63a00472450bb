using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Settlement;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The host's clock, moved forward by a test and optionally held still for a moment, so that several events share one
/// instant (their pending points then become available at the same instant).
/// </summary>
public sealed class HoldableTime : TimeProvider
{
    private long _offsetTicks;
    private DateTimeOffset? _held;

    public override DateTimeOffset GetUtcNow() => _held ?? base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>Holds the clock while <paramref name="work"/> runs; afterwards it runs on from where it was.</summary>
    /// <param name="subMicrosecond">Hold at an instant with 100 ns digits (7 ticks past a microsecond), which PostgreSQL cannot store.</param>
    public async Task HoldAsync(Func<Task> work, bool subMicrosecond = false)
    {
        var now = GetUtcNow();
        _held = subMicrosecond ? now.AddTicks(7 - now.Ticks % TimeSpan.TicksPerMicrosecond) : now;
        try { await work(); }
        finally { _held = null; }
    }
}

/// <summary>A program with a one-hour return window, on a real node and SQLite file, whose host clock a test can move.</summary>
public sealed class MemberPortalFixture : ProgramFixture
{
    public HoldableTime Time { get; } = new();
    protected override long PendingPeriodSeconds => 3600;
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>What the member portal reads (issue 15): pending points with the instant each becomes available, and the member's catalog.</summary>
public sealed class MemberPortalTests(MemberPortalFixture f) : IClassFixture<MemberPortalFixture>
{
    private async Task<string> EnrolAsync(string? tier = null)
    {
        var id = "mp-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier })).Status);
        return id;
    }

    private async Task EnsureRulesAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase")) return;
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
            new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
    }

    /// <summary>A purchase of <paramref name="euros"/> (1 point per euro); returns when its points become available.</summary>
    private async Task<DateTime> BuyAsync(string member, int euros, string orderId)
    {
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = orderId, amount = $"{euros}.00" });
        Assert.True(e.Status == HttpStatusCode.Created, $"{e.Status} {e.Body}");
        Assert.Equal("pending", e.Body!["status"]!.GetValue<string>());
        return e.Body!["availableAt"]!.GetValue<DateTime>().ToUniversalTime();
    }

    private async Task<JsonNode> MemberAsync(string member, string? key = null) => (await f.Api.GetAsync(f.P($"/members/{member}"), key ?? f.AdminKey)).Body!;

    private static List<(string Amount, DateTime AvailableAt)> Lots(JsonNode member) =>
        member["pendingLots"]!.AsArray().Select(l => (l!["amount"]!.GetValue<string>(), l["availableAt"]!.GetValue<DateTime>().ToUniversalTime())).ToList();

    private async Task MatureAsync()
    {
        using var scope = f.Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<MaturationService>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task PendingLots_GroupThePendingPointsByTheInstantTheyBecomeAvailable_NetOfReturns_AndLeaveWhenTheyMature()
    {
        await EnsureRulesAsync();
        var m = await EnrolAsync();
        Assert.Empty(Lots(await MemberAsync(m)));

        var o1 = "o1-" + m;
        DateTime first = default, second = default;
        await f.Time.HoldAsync(async () =>
        {
            first = await BuyAsync(m, 30, o1);
            second = await BuyAsync(m, 12, "o2-" + m);
        });
        Assert.Equal(first, second); // one instant: one line
        f.Time.Advance(TimeSpan.FromMinutes(20));
        var later = await BuyAsync(m, 20, "o3-" + m);
        Assert.Equal(first.AddMinutes(20), later, TimeSpan.FromSeconds(30));

        // A partial return in the window claws back from its own purchase's lot.
        var ret = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "r1-" + m, orderId = o1, amount = "10.00" });
        Assert.True(ret.Status == HttpStatusCode.Created, $"{ret.Status} {ret.Body}");

        var view = await MemberAsync(m);
        Assert.Equal(new List<(string, DateTime)> { ("32", first), ("20", later) }, Lots(view));
        Assert.Equal("52", view["balance"]!["pending"]!.GetValue<string>()); // the lots add up to the pending balance
        Assert.EndsWith("Z", view["pendingLots"]![0]!["availableAt"]!.GetValue<string>()); // an instant, in UTC

        // The member's own token reads the same lines.
        var token = (await f.Api.PostAsync(f.P($"/members/{m}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{m}"));
        request.Headers.Authorization = new("Bearer", token);
        var own = JsonNode.Parse(await (await f.Api.Http.SendAsync(request)).Content.ReadAsStringAsync())!;
        Assert.Equal(Lots(view), Lots(own));

        // Past the first window the first lot matures and leaves; the later one stays.
        f.Time.Advance(TimeSpan.FromMinutes(45));
        await MatureAsync();
        view = await MemberAsync(m);
        Assert.Equal(new List<(string, DateTime)> { ("20", later) }, Lots(view));
        Assert.Equal(("20", "32"), (view["balance"]!["pending"]!.GetValue<string>(), view["balance"]!["available"]!.GetValue<string>()));

        // A full return of the later purchase leaves nothing pending.
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "r3-" + m, orderId = "o3-" + m });
        Assert.Empty(Lots(await MemberAsync(m)));
    }

    private async Task<long> RewardAsync(object body)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body);
        Assert.True(r.Status == HttpStatusCode.Created, $"{r.Status} {r.Body}");
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task<string> TokenAsync(string member) =>
        (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();

    private async Task<(HttpStatusCode Status, JsonNode? Body)> AsMemberAsync(string token, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, f.P(path));
        request.Headers.Authorization = new("Bearer", token);
        var response = await f.Api.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task EventAnswer_AvailableAt_IsTheStoredInstant_ToTheMicrosecond_EvenWhenTheClockHas100NsDigits()
    {
        await EnsureRulesAsync();
        var m = await EnrolAsync();
        DateTime answered = default;
        // PostgreSQL keeps microseconds: an answer at 100 ns would name an instant no later read returns.
        await f.Time.HoldAsync(async () => answered = await BuyAsync(m, 5, "us-" + m), subMicrosecond: true);
        Assert.Equal(0, answered.Ticks % TimeSpan.TicksPerMicrosecond);
        Assert.Equal([("5", answered)], Lots(await MemberAsync(m)));
    }

    [Fact]
    public async Task Catalog_ShowsWhatTheMemberMaySee_AtTheirPrice_WithStockLeft_AndWhetherTheyCanAffordIt()
    {
        var cohort = "c" + Guid.NewGuid().ToString("N")[..8];
        var inSegment = await EnrolWithAsync(new Dictionary<string, string> { ["cohort"] = cohort });
        var outsider = await EnrolWithAsync(new Dictionary<string, string>());
        foreach (var m in new[] { inSegment, outsider })
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey,
                new { type = "grant", points = "50", reason = "catalog" })).Status);
        var segment = await f.Api.PostAsync(f.P("/segments"), f.AdminKey,
            new { name = "cohort " + cohort, definition = new { attributes = new Dictionary<string, string> { ["cohort"] = cohort } } });
        Assert.Equal(HttpStatusCode.Created, segment.Status);
        var segmentId = segment.Body!["id"]!.GetValue<long>();

        var cheap = await RewardAsync(new { type = "FreeProduct", name = "Espresso " + cohort, cost = "30", stock = 5 });
        var pricey = await RewardAsync(new { type = "FreeProduct", name = "Mug " + cohort, cost = "80" });
        var members = await RewardAsync(new { type = "FreeProduct", name = "Cohort cake " + cohort, cost = "20", segmentId });
        var platinum = await RewardAsync(new { type = "FreeProduct", name = "Lounge " + cohort, cost = "10", tiers = new[] { "Platinum" } });
        var soldOut = await RewardAsync(new { type = "FreeProduct", name = "Sold out " + cohort, cost = "5", stock = 0 });
        var retired = await RewardAsync(new { type = "FreeProduct", name = "Retired " + cohort, cost = "5", active = false });
        var offer = await f.Api.PostAsync(f.P("/offers"), f.AdminKey, new
        {
            name = "Cohort mug", kind = "reward_price", segmentId, rewardId = pricey, cost = "40", endsAt = DateTime.UtcNow.AddDays(30),
        });
        Assert.Equal(HttpStatusCode.Created, offer.Status);
        var offerId = offer.Body!["id"]!.GetValue<long>();
        long[] ours = [cheap, pricey, members, platinum, soldOut, retired];

        async Task<(JsonNode Catalog, Dictionary<long, JsonNode> Items)> CatalogAsync(string member)
        {
            var (status, body) = await AsMemberAsync(await TokenAsync(member), $"/members/{member}/catalog");
            Assert.True(status == HttpStatusCode.OK, $"{status} {body}");
            return (body!, body!["items"]!.AsArray().Select(i => i!).Where(i => ours.Contains(i["rewardId"]!.GetValue<long>()))
                .ToDictionary(i => i["rewardId"]!.GetValue<long>()));
        }
        static string S(JsonNode n, string field) => n[field]!.GetValue<string>();
        static bool B(JsonNode n, string field) => n[field]!.GetValue<bool>();

        // The segment's member: the segment-only reward, the offer price, sold out shown with nothing left.
        var (mine, items) = await CatalogAsync(inSegment);
        Assert.Equal("50", S(mine, "available"));
        Assert.Equal(new[] { soldOut, members, cheap, pricey }, items.Keys.ToArray()); // by price, then id; tier- and inactive ones hidden
        Assert.Equal(("30", "30", 5, true, true), (S(items[cheap], "cost"), S(items[cheap], "regularCost"), items[cheap]["stockLeft"]!.GetValue<int>(),
            B(items[cheap], "affordable"), B(items[cheap], "redeemable")));
        Assert.Equal(("40", "80", offerId, true), (S(items[pricey], "cost"), S(items[pricey], "regularCost"), items[pricey]["offerId"]!.GetValue<long>(),
            B(items[pricey], "affordable")));
        Assert.Null(items[pricey]["stockLeft"]); // unlimited
        Assert.True(B(items[members], "affordable"));
        Assert.Equal((0, true, false), (items[soldOut]["stockLeft"]!.GetValue<int>(), B(items[soldOut], "affordable"), B(items[soldOut], "redeemable")));

        // Someone outside the segment: no segment-only reward, the regular price, which 50 points do not cover.
        var (theirs, other) = await CatalogAsync(outsider);
        Assert.Equal(new[] { soldOut, cheap, pricey }, other.Keys.ToArray());
        Assert.Equal(("80", false, false), (S(other[pricey], "cost"), B(other[pricey], "affordable"), B(other[pricey], "redeemable")));
        Assert.Null(other[pricey]["offerId"]);
        Assert.True(B(other[cheap], "affordable"));
        Assert.Equal("50", S(theirs, "available"));
        // The catalog agrees with redemption: what it hides, redemption refuses.
        var refused = await f.Api.PostAsync(f.P($"/members/{outsider}/redemptions"), f.AdminKey, new { rewardId = members });
        Assert.Equal("NOT_IN_SEGMENT", refused.Body!["code"]!.GetValue<string>());

        // The admin reads it too; bad member ids are coded problems, never a 500.
        Assert.Equal(HttpStatusCode.OK, (await f.Api.GetAsync(f.P($"/members/{inSegment}/catalog"), f.AdminKey)).Status);
        var unknown = await f.Api.GetAsync(f.P("/members/nobody-here/catalog"), f.AdminKey);
        Assert.Equal((HttpStatusCode.NotFound, "UNKNOWN_MEMBER"), (unknown.Status, unknown.Body!["code"]!.GetValue<string>()));
        var hostile = await f.Api.GetAsync(f.P("/members/x%0A/catalog"), f.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, hostile.Status);
        Assert.False(string.IsNullOrEmpty(hostile.Body!["code"]?.GetValue<string>()));

        // Documented like its neighbours: a member may call it with their own token.
        var doc = (await f.Api.GetAsync("/openapi/v1.json", null)).Body!;
        var operation = doc["paths"]!["/v1/programs/{programId}/members/{memberId}/catalog"]!["get"]!;
        Assert.Contains("Rewards", operation["tags"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Contains("MemberBearer", operation["security"]!.AsArray().SelectMany(r => r!.AsObject().Select(kv => kv.Key)));
    }

    private async Task<string> EnrolWithAsync(Dictionary<string, string> attributes)
    {
        var id = "mp-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, attributes })).Status);
        return id;
    }
}
