using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Segments;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program on a real node and SQLite file whose clock the test moves (members enrolled 40 days apart).</summary>
public sealed class SegmentFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>Segments evaluated in SQL against a generated population whose expected membership the test computes itself.</summary>
public sealed class SegmentTests(SegmentFixture f) : IClassFixture<SegmentFixture>
{
    private sealed record Purchase(string EventId, DateTime At, long Amount, string? Category, long Refunded);

    private sealed class Person
    {
        public required string Id { get; init; }
        public string? Tier { get; init; }
        public required string City { get; init; }
        public int? BirthMonth { get; init; }
        public bool Email { get; set; }
        public bool Sms { get; set; }
        public bool Blocked { get; set; }
        public bool LateEnrolled { get; init; }
        public long Gift { get; init; }
        public List<Purchase> Purchases { get; } = [];
    }

    private static readonly string[] Tiers = ["Gold", "Silver", "gold", "Bronze"];
    private static readonly string[] Cities = ["Paris", "Lyon", "paris", "PARIS", "Nice"];
    private static readonly string?[] Categories = ["coffee", "Tea", "cups", null, "COFFEE"];

    private async Task<(string Cohort, List<Person> People, DateTime Now)> PopulationAsync()
    {
        await EnsureRuleAsync();
        var cohort = "c" + Guid.NewGuid().ToString("N")[..8];
        var rnd = new Random(13);
        var people = new List<Person>();
        for (var i = 0; i < 80; i++)
        {
            if (i == 40) f.Time.MoveTo(f.Time.GetUtcNow().UtcDateTime.AddDays(40));
            var p = new Person
            {
                Id = $"{cohort}-{i}", Tier = i % 5 == 4 ? null : Tiers[rnd.Next(Tiers.Length)], City = Cities[rnd.Next(Cities.Length)],
                BirthMonth = rnd.Next(4) == 0 ? null : rnd.Next(1, 13), LateEnrolled = i >= 40, Gift = rnd.Next(3) == 0 ? 0 : rnd.Next(1, 120),
            };
            var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new
            {
                externalId = p.Id, tier = p.Tier, birthday = p.BirthMonth is { } m ? $"1990-{m:00}-{rnd.Next(1, 28):00}" : null,
                attributes = new Dictionary<string, string> { ["cohort"] = cohort, ["City"] = p.City },
            });
            Assert.Equal(HttpStatusCode.Created, enrolled.Status);
            people.Add(p);
        }
        var now = f.Time.GetUtcNow().UtcDateTime;
        foreach (var p in people)
        {
            p.Email = rnd.Next(2) == 0;
            p.Sms = rnd.Next(3) == 0;
            if (p.Email || p.Sms) await Patch(p, new { email = p.Email, sms = p.Sms });
            if (p.Email && rnd.Next(4) == 0) { p.Email = false; await Patch(p, new { email = false }); } // withdrawn
            if (p.Gift > 0)
                Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
                    new { type = "gift", memberId = p.Id, eventId = "g-" + p.Id, amount = $"{p.Gift}.00" })).Status);
            var n = rnd.Next(5);
            for (var k = 0; k < n; k++)
            {
                // Whole days plus 6 hours: no purchase sits near a day-count cut-off.
                var at = now.AddDays(-rnd.Next(0, 120)).AddHours(-6);
                var amount = rnd.Next(1, 100) * 100L;
                var category = Categories[rnd.Next(Categories.Length)];
                var eventId = $"o-{p.Id}-{k}";
                var sent = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
                {
                    type = "purchase", memberId = p.Id, eventId, amount = $"{amount / 100}.00", currency = "EUR", occurredAt = at,
                    lines = category is null ? null : new[] { new { sku = "x", category, amount = $"{amount / 100}.00", quantity = 1 } },
                });
                Assert.Equal(HttpStatusCode.Created, sent.Status);
                long refunded = 0;
                if (rnd.Next(5) == 0)
                {
                    refunded = amount / 2 / 100 * 100;
                    if (refunded > 0)
                        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
                            { type = "return", memberId = p.Id, eventId = "r-" + eventId, orderId = eventId, amount = $"{refunded / 100}.00" })).Status);
                }
                p.Purchases.Add(new Purchase(eventId, at, amount, category, refunded));
            }
            if (rnd.Next(9) == 0)
            {
                p.Blocked = true;
                Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P($"/members/{p.Id}/block"), f.AdminKey, new { reason = "test" })).Status);
            }
        }
        return (cohort, people, now);

        Task Patch(Person p, object consents) =>
            f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{p.Id}"), f.AdminKey, new { consents });
    }

    private async Task EnsureRuleAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift")) return;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
    }

    private async Task<long> SegmentAsync(object definition, string? name = null)
    {
        var created = await f.Api.PostAsync(f.P("/segments"), f.AdminKey, new { name = name ?? "s-" + Guid.NewGuid().ToString("N")[..6], definition });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["id"]!.GetValue<long>();
    }

    private async Task<List<string>> MembersAsync(long segmentId, int limit)
    {
        var all = new List<string>();
        string? cursor = null;
        do
        {
            var page = await f.Api.GetAsync(f.P($"/segments/{segmentId}/members?limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}")), f.AdminKey);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            var rows = page.Body!["members"]!.AsArray();
            Assert.True(rows.Count <= limit);
            all.AddRange(rows.Select(r => r!["memberId"]!.GetValue<string>()));
            cursor = page.Body["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return all;
    }

    [Fact]
    public async Task SegmentMembership_IsExactOnAGeneratedPopulation_AndTheSqlAgreesWithTheInMemoryMatcher()
    {
        var (cohort, people, now) = await PopulationAsync();
        var month = now.Month; // the program's zone is UTC
        static bool Ci(string? a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        static long Net(IEnumerable<Purchase> ps) => ps.Sum(x => x.Amount - x.Refunded);
        var cases = new (string Name, Dictionary<string, object?> Definition, Func<Person, bool> Expected)[]
        {
            ("gold or silver", new() { ["tiers"] = new[] { "GOLD", "silver" } }, p => !p.Blocked && (Ci(p.Tier, "gold") || Ci(p.Tier, "silver"))),
            ("paris with email", new() { ["attributes"] = new Dictionary<string, string> { ["cohort"] = cohort, ["city"] = "pArIs" }, ["consent"] = new[] { "email" } },
                p => !p.Blocked && Ci(p.City, "paris") && p.Email),
            ("birthday now", new() { ["birthdayMonth"] = "current" }, p => !p.Blocked && p.BirthMonth == month),
            ("birthday march, sms", new() { ["birthdayMonth"] = 3, ["consent"] = new[] { "SMS" } }, p => !p.Blocked && p.BirthMonth == 3 && p.Sms),
            ("bought in 30 days", new() { ["lastPurchaseWithinDays"] = 30 }, p => !p.Blocked && p.Purchases.Any(x => x.At >= now.AddDays(-30))),
            ("lapsed 60 days, blocked too", new() { ["noPurchaseWithinDays"] = 60, ["excludeBlocked"] = false },
                p => !p.Purchases.Any(x => x.At >= now.AddDays(-60))),
            ("2+ purchases in 90 days", new() { ["purchaseCount"] = new { min = 2, withinDays = 90 } },
                p => !p.Blocked && p.Purchases.Count(x => x.At >= now.AddDays(-90)) >= 2),
            ("at most 1 purchase ever", new() { ["purchaseCount"] = new { max = 1 } }, p => !p.Blocked && p.Purchases.Count <= 1),
            ("net spend 50-150", new() { ["spend"] = new { min = "5000", max = "15000" } }, p => !p.Blocked && Net(p.Purchases) is >= 5000 and <= 15000),
            ("spend 40+ in 45 days", new() { ["spend"] = new { min = "4000", withinDays = 45 } },
                p => !p.Blocked && Net(p.Purchases.Where(x => x.At >= now.AddDays(-45))) >= 4000),
            ("50+ points", new() { ["pointsBalance"] = new { min = "50" } }, p => !p.Blocked && p.Gift >= 50),
            ("under 30 points", new() { ["pointsBalance"] = new { max = "29" } }, p => !p.Blocked && p.Gift <= 29),
            ("coffee in 30 days", new() { ["categoriesBought"] = new { any = new[] { "Coffee" }, withinDays = 30 } },
                p => !p.Blocked && p.Purchases.Any(x => Ci(x.Category, "coffee") && x.At >= now.AddDays(-30))),
            ("tea or cups ever", new() { ["categoriesBought"] = new { any = new[] { "tea", "CUPS" } } },
                p => !p.Blocked && p.Purchases.Any(x => Ci(x.Category, "tea") || Ci(x.Category, "cups"))),
            ("enrolled in 20 days", new() { ["enrolledWithinDays"] = 20 }, p => !p.Blocked && p.LateEnrolled),
            ("gold coffee lovers", new() { ["tiers"] = new[] { "Gold" }, ["categoriesBought"] = new { any = new[] { "coffee" }, withinDays = 30 } },
                p => !p.Blocked && Ci(p.Tier, "gold") && p.Purchases.Any(x => Ci(x.Category, "coffee") && x.At >= now.AddDays(-30))),
        };
        var checkedNonTrivial = 0;
        foreach (var (name, definition, expected) in cases)
        {
            // Every definition is restricted to this test's cohort, so other tests' members never count.
            if (!definition.ContainsKey("attributes")) definition["attributes"] = new Dictionary<string, string> { ["cohort"] = cohort };
            var id = await SegmentAsync(definition, name);
            var want = people.Where(expected).Select(p => p.Id).Order(StringComparer.Ordinal).ToList();
            var got = await MembersAsync(id, limit: 7);
            Assert.True(want.SequenceEqual(got.Order(StringComparer.Ordinal)),
                $"{name}: expected [{string.Join(",", want)}] got [{string.Join(",", got)}]");
            var count = await f.Api.GetAsync(f.P($"/segments/{id}/count"), f.AdminKey);
            Assert.Equal(want.Count, count.Body!["members"]!.GetValue<long>());
            Assert.Equal(id, count.Body["segmentId"]!.GetValue<long>());

            // The pure matcher over the same facts agrees with the SQL.
            var stored = (await f.Api.GetAsync(f.P($"/segments/{id}"), f.AdminKey)).Body!["definition"]!;
            var criteria = System.Text.Json.JsonSerializer.Deserialize<SegmentDefinition>(stored.ToJsonString(), Loyalty.Chain.Earning.RuleJson.Options)!
                .Resolve(f.Time.GetUtcNow().UtcDateTime, TimeZoneInfo.Utc);
            var matched = people.Where(p => SegmentMatcher.Matches(criteria, Facts(p, cohort))).Select(p => p.Id).Order(StringComparer.Ordinal).ToList();
            Assert.True(want.SequenceEqual(matched), $"{name}: the in-memory matcher gave [{string.Join(",", matched)}]");
            if (want.Count > 0 && want.Count < people.Count) checkedNonTrivial++;
        }
        Assert.True(checkedNonTrivial >= 12, $"only {checkedNonTrivial} definitions split the population");
    }

    private MemberFacts Facts(Person p, string cohort) => new()
    {
        Tier = p.Tier, CreatedAt = p.LateEnrolled ? f.Time.GetUtcNow().UtcDateTime.AddDays(-1) : f.Time.GetUtcNow().UtcDateTime.AddDays(-39),
        BlockedAt = p.Blocked ? DateTime.UtcNow : null, Birthday = p.BirthMonth is { } m ? new DateOnly(1990, m, 1) : null,
        Attributes = new Dictionary<string, string> { ["cohort"] = cohort, ["City"] = p.City },
        Consents = new Dictionary<string, bool> { ["email"] = p.Email, ["sms"] = p.Sms }, Available = p.Gift,
        Purchases = p.Purchases.Select(x => (x.At, x.Amount, x.Refunded)).ToList(),
        Categories = p.Purchases.Where(x => x.Category is not null).Select(x => (x.At, Loyalty.Chain.Ledger.EventCategory.Normalize(x.Category!))).ToList(),
    };

    [Fact]
    public async Task CountMembersPagingAndCsvExport_AgreeAndTheCsvIsInjectionSafe()
    {
        var cohort = "x" + Guid.NewGuid().ToString("N")[..8];
        string[] tiers = ["=1+1", "@SUM(A1)", "-2", "+3", "plain,comma", "Gold"];
        for (var i = 0; i < tiers.Length; i++)
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new
                { externalId = $"{cohort}-{i}", tier = tiers[i], attributes = new Dictionary<string, string> { ["cohort"] = cohort } })).Status);
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
            { type = "purchase", memberId = $"{cohort}-5", eventId = "p-" + cohort, amount = "12.00", currency = "EUR" });
        var id = await SegmentAsync(new { attributes = new Dictionary<string, string> { ["cohort"] = cohort } });

        Assert.Equal(6, (await f.Api.GetAsync(f.P($"/segments/{id}/count"), f.AdminKey)).Body!["members"]!.GetValue<long>());
        var first = await f.Api.GetAsync(f.P($"/segments/{id}/members?limit=4"), f.AdminKey);
        Assert.Equal(4, first.Body!["members"]!.AsArray().Count);
        Assert.NotNull(first.Body["nextCursor"]);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"{cohort}-{i}"), await MembersAsync(id, 4));
        Assert.Equal("INVALID_CURSOR", (await f.Api.GetAsync(f.P($"/segments/{id}/members?cursor=abc"), f.AdminKey)).Body!["code"]!.GetValue<string>());
        Assert.Equal("INVALID_LIMIT", (await f.Api.GetAsync(f.P($"/segments/{id}/members?limit=0"), f.AdminKey)).Body!["code"]!.GetValue<string>());

        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/segments/{id}/export.csv"));
        request.Headers.Add("X-Api-Key", f.AdminKey);
        var response = await f.Api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/csv", response.Content.Headers.ContentType!.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("memberId,tier,available,lastPurchaseAt", lines[0]);
        Assert.Equal(7, lines.Length);
        Assert.Equal($"{cohort}-0,'=1+1,0,", lines[1]);
        Assert.Equal($"{cohort}-1,'@SUM(A1),0,", lines[2]);
        Assert.Equal($"{cohort}-2,'-2,0,", lines[3]);
        Assert.Equal($"{cohort}-3,'+3,0,", lines[4]);
        Assert.Equal($"{cohort}-4,\"plain,comma\",0,", lines[5]);
        Assert.Matches($@"\A{cohort}-5,Gold,0,\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\z", lines[6]);
    }

    [Fact]
    public async Task InvalidSegments_AreRefusedWithCodes_AndChangeNothing()
    {
        var before = (await f.Api.GetAsync(f.P("/segments"), f.AdminKey)).Body!.AsArray().Count;
        object[] bad =
        [
            new { name = "x" },
            new { name = "", definition = new { } },
            new { name = "x", definition = new { birthdayMonth = 13 } },
            new { name = "x", definition = new { birthdayMonth = "may" } },
            new { name = "x", definition = new { tiers = new string?[] { null } } },
            new { name = "x", definition = new { lastPurchaseWithinDays = 0 } },
            new { name = "x", definition = new { spend = new { min = "1.5" } } },
            new { name = "x", definition = new { spend = new { min = "10", max = "5" } } },
            new { name = "x", definition = new { purchaseCount = new { } } },
            new { name = "x", definition = new { pointsBalance = new { min = "1", withinDays = 3 } } },
            new { name = "x", definition = new { categoriesBought = new { any = Array.Empty<string>() } } },
            new { name = "x", definition = new { attributes = new Dictionary<string, string?> { ["a"] = null } } },
        ];
        foreach (var body in bad)
        {
            var r = await f.Api.PostAsync(f.P("/segments"), f.AdminKey, body);
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"{System.Text.Json.JsonSerializer.Serialize(body)} gave {r.Status} {r.Body}");
            Assert.Equal("INVALID_SEGMENT", r.Body!["code"]!.GetValue<string>());
        }
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/segments"), f.AdminKey)).Body!.AsArray().Count);
        Assert.Equal("UNKNOWN_SEGMENT", (await f.Api.GetAsync(f.P("/segments/999999/count"), f.AdminKey)).Body!["code"]!.GetValue<string>());
        var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
            { name = "seg", trigger = "visit", conditions = new { segments = new[] { 999999 } }, effect = new { kind = "Fixed", points = 1 } });
        Assert.Equal("UNKNOWN_SEGMENT", rule.Body!["code"]!.GetValue<string>());
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = "seg", cost = "5", segmentId = 999999 });
        Assert.Equal("UNKNOWN_SEGMENT", reward.Body!["code"]!.GetValue<string>());

        // A segment in use by an active rule cannot be deleted; once the rule is off it can.
        var id = await SegmentAsync(new { tiers = new[] { "Gold" } });
        var used = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
            { name = "seg", trigger = "visit-del", conditions = new { segments = new[] { id } }, effect = new { kind = "Fixed", points = 1 } });
        Assert.Equal(HttpStatusCode.Created, used.Status);
        Assert.Equal("SEGMENT_IN_USE", (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/segments/{id}"), f.AdminKey)).Body!["code"]!.GetValue<string>());
        await f.Api.SendAsync(HttpMethod.Delete, f.P($"/rules/{used.Body!["id"]}"), f.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/segments/{id}"), f.AdminKey)).Status);
    }

    [Fact]
    public async Task DropAudienceBySegment_ResolvesExactlyTheSegmentsMembers()
    {
        var cohort = "d" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 4; i++)
            await f.Api.PostAsync(f.P("/members"), f.AdminKey, new
                { externalId = $"{cohort}-{i}", tier = i % 2 == 0 ? "Gold" : "Silver", attributes = new Dictionary<string, string> { ["cohort"] = cohort } });
        var id = await SegmentAsync(new { tiers = new[] { "gold" }, attributes = new Dictionary<string, string> { ["cohort"] = cohort } });

        using var scope = f.Factory.Services.CreateScope();
        var resolver = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Collectibles.DropAudienceResolver>();
        var ids = await resolver.MatchingAsync(f.ProgramId, new Loyalty.Chain.Collectibles.DropAudience
            { Kind = Loyalty.Chain.Collectibles.DropAudienceKind.Rule, SegmentId = id }, null, CancellationToken.None);
        var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
        var external = db.Set<Loyalty.Chain.Members.Member>().Where(m => ids.Contains(m.Id)).Select(m => m.ExternalId).OrderBy(x => x).ToList();
        Assert.Equal([$"{cohort}-0", $"{cohort}-2"], external);

        var drop = await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "seg drop", maxSupply = 10, audience = new { kind = "Rule", segmentId = 999999 } });
        Assert.Equal("UNKNOWN_SEGMENT", drop.Body!["code"]!.GetValue<string>());
        var ok = await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "seg drop", maxSupply = 10, audience = new { kind = "Rule", segmentId = id } });
        Assert.True(ok.Status == HttpStatusCode.Created, ok.Body?.ToJsonString());
        Assert.Equal(id, ok.Body!["audience"]!["segmentId"]!.GetValue<long>());
    }
}
