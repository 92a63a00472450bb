using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program on a real node and SQLite file whose clock the test moves a day at a time.</summary>
public sealed class AnalyticsFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>
/// KPIs against a population generated through the real API with a seeded RNG, each expected figure computed here from what
/// was sent and what the API answered, compared exactly; then more events after a first answer, with answers read meanwhile.
/// </summary>
public sealed class AnalyticsTests(AnalyticsFixture f) : IClassFixture<AnalyticsFixture>
{
    private sealed record Purchase(string Member, DateOnly Day, long Amount, long Points, long RulePoints);
    private sealed record Enrolled(string Id, DateOnly Day, string? Tier);

    private const int Days = 75;
    private readonly List<Enrolled> _members = [];
    private readonly List<Purchase> _purchases = [];
    private readonly Dictionary<DateOnly, long> _clawed = [];
    private readonly HashSet<(string Member, DateOnly Day)> _earnedWithoutPurchase = [];
    private long _ruleId;

    [Fact]
    public async Task Analytics_OnAGeneratedPopulation_MatchesIndependentlyComputedKpis_AndStaysRightAsEventsArrive()
    {
        var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        Assert.True(rule.Status == HttpStatusCode.Created, rule.Body?.ToJsonString());
        _ruleId = rule.Body!["id"]!.GetValue<long>();
        var gift = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "bonus", trigger = "bonus", effect = new { kind = "Fixed", points = 5 } });
        Assert.True(gift.Status == HttpStatusCode.Created, gift.Body?.ToJsonString());

        var start = DateTime.UtcNow.Date.AddDays(1).AddHours(12);
        var day0 = DateOnly.FromDateTime(start);
        var rnd = new Random(14);
        var tiers = new[] { "Gold", "Silver", null, "=Gold" };
        for (var d = 0; d < Days; d++)
        {
            f.Time.MoveTo(start.AddDays(d));
            var today = day0.AddDays(d);
            if (d < 60 && rnd.Next(3) == 0 || d == 0)
                for (var k = rnd.Next(1, 3); k > 0; k--) await EnrolAsync($"an-{_members.Count}", today, tiers[rnd.Next(tiers.Length)]);
            foreach (var m in _members.ToList())
            {
                var roll = rnd.Next(100);
                if (roll < 7) await PurchaseAsync(m.Id, today, rnd.Next(1, 90) * 100L, rnd);
                else if (roll == 7) await EarnWithoutPurchaseAsync(m.Id, today);
                else if (roll == 8) await SendAsync("visit", m.Id, null); // no rule: neither a purchase nor an earn, so not active
            }
        }
        var last = day0.AddDays(Days - 1);

        var day = await ReadAsync(day0, last, "day");
        AssertMatches(day, day0, last, "day");
        AssertMatches(await ReadAsync(day0, last, "month"), day0, last, "month");
        AssertMatches(await ReadAsync(day0.AddDays(20), last.AddDays(-10), "week"), day0.AddDays(20), last.AddDays(-10), "week");

        // More events after a first answer, with answers read while they arrive: each fold sees a mark the last one moved.
        var reads = Enumerable.Range(0, 6).Select(async _ => { await Task.Delay(rnd.Next(50)); return await ReadAsync(day0, last, "day"); }).ToList();
        for (var i = 0; i < 12; i++) await PurchaseAsync(_members[i % _members.Count].Id, last, 1000 + i * 100, rnd);
        await EnrolAsync("an-late", last, "Silver");
        await PurchaseAsync("an-late", last, 4200, rnd);
        await Task.WhenAll(reads);
        AssertMatches(await ReadAsync(day0, last, "day"), day0, last, "day");

        await AssertCsvAsync();
    }

    private async Task EnrolAsync(string id, DateOnly day, string? tier)
    {
        var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier });
        Assert.True(enrolled.Status == HttpStatusCode.Created, enrolled.Body?.ToJsonString());
        _members.Add(new Enrolled(id, day, tier));
    }

    private async Task<JsonNode> SendAsync(string type, string member, long? amount, string? orderId = null)
    {
        var sent = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
        {
            type, memberId = member, eventId = "e-" + Guid.NewGuid().ToString("N"), currency = amount is null ? null : "EUR", orderId,
            amount = amount is { } a ? $"{a / 100}.{a % 100:00}" : null,
        });
        Assert.True(sent.Status == HttpStatusCode.Created, sent.Body?.ToJsonString());
        return sent.Body!;
    }

    private async Task PurchaseAsync(string member, DateOnly day, long amount, Random rnd)
    {
        var body = await SendAsync("purchase", member, amount);
        var rulePoints = body["rules"]!.AsArray().Where(r => r!["ruleId"]!.GetValue<long>() == _ruleId && r["fired"]!.GetValue<bool>())
            .Sum(r => long.Parse(r!["points"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        _purchases.Add(new Purchase(member, day, amount, long.Parse(body["points"]!.GetValue<string>(), CultureInfo.InvariantCulture), rulePoints));
        if (rnd.Next(6) == 0)
        {
            var back = await SendAsync("return", member, amount / 2, body["eventId"]!.GetValue<string>());
            _clawed[day] = _clawed.GetValueOrDefault(day) + long.Parse(back["clawedBack"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        }
    }

    private async Task EarnWithoutPurchaseAsync(string member, DateOnly day)
    {
        var body = await SendAsync("bonus", member, null);
        Assert.Equal("5", body["points"]!.GetValue<string>());
        _earnedWithoutPurchase.Add((member, day));
        _bonusPoints[day] = _bonusPoints.GetValueOrDefault(day) + 5;
    }

    private readonly Dictionary<DateOnly, long> _bonusPoints = [];

    private async Task<JsonNode> ReadAsync(DateOnly from, DateOnly to, string granularity)
    {
        var r = await f.Api.GetAsync(f.P($"/analytics?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity={granularity}"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        return r.Body!;
    }

    private IEnumerable<(string Member, DateOnly Day)> Activity =>
        _purchases.Select(p => (p.Member, p.Day)).Concat(_earnedWithoutPurchase);

    private static DateOnly PeriodStart(DateOnly d, string g) => g switch
    {
        "day" => d, "week" => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)), _ => new DateOnly(d.Year, d.Month, 1),
    };

    private void AssertMatches(JsonNode a, DateOnly from, DateOnly to, string g)
    {
        bool In(DateOnly d) => d >= from && d <= to;
        var purchases = _purchases.Where(p => In(p.Day)).ToList();
        Assert.Equal(_members.Count, a["members"]!["total"]!.GetValue<long>());
        Assert.Equal(_members.Count(m => In(m.Day)), a["members"]!["new"]!.GetValue<long>());
        Assert.Equal(Activity.Where(x => x.Day > to.AddDays(-30) && x.Day <= to).Select(x => x.Member).Distinct().Count(), a["members"]!["active30d"]!.GetValue<long>());
        Assert.Equal(Activity.Where(x => x.Day > to.AddDays(-90) && x.Day <= to).Select(x => x.Member).Distinct().Count(), a["members"]!["active90d"]!.GetValue<long>());

        var series = a["series"]!.AsArray();
        var periods = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(i => from.AddDays(i)).GroupBy(d => PeriodStart(d, g)).ToList();
        Assert.Equal(periods.Count, series.Count);
        for (var i = 0; i < periods.Count; i++)
        {
            var days = periods[i].ToHashSet();
            var s = series[i]!;
            Assert.Equal(periods[i].Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), s["period"]!.GetValue<string>());
            var inP = purchases.Where(p => days.Contains(p.Day)).ToList();
            Assert.Equal(_members.Count(m => days.Contains(m.Day)), s["newMembers"]!.GetValue<long>());
            Assert.Equal(Activity.Where(x => days.Contains(x.Day)).Select(x => x.Member).Distinct().Count(), s["activeMembers"]!.GetValue<long>());
            Assert.Equal(inP.Count, s["purchases"]!.GetValue<long>());
            Assert.Equal(inP.Sum(p => p.Amount).ToString(CultureInfo.InvariantCulture), s["purchaseAmount"]!.GetValue<string>());
            Assert.Equal((inP.Sum(p => p.Points) + days.Sum(d => _bonusPoints.GetValueOrDefault(d))).ToString(CultureInfo.InvariantCulture), s["pointsIssued"]!.GetValue<string>());
            Assert.Equal(days.Sum(d => _clawed.GetValueOrDefault(d)).ToString(CultureInfo.InvariantCulture), s["pointsClawedBack"]!.GetValue<string>());
            Assert.Equal("0", s["pointsRedeemed"]!.GetValue<string>());
            Assert.Equal("0", s["pointsExpired"]!.GetValue<string>());
        }

        var buyers = purchases.GroupBy(p => p.Member).ToList();
        Assert.Equal(buyers.Count == 0 ? 0 : (double)purchases.Count / buyers.Count, a["purchaseFrequency"]!.GetValue<double>());
        Assert.Equal(purchases.Count == 0 ? 0 : (double)purchases.Sum(p => p.Amount) / purchases.Count, a["averageBasket"]!.GetValue<double>());
        Assert.Equal(buyers.Count == 0 ? 0 : (double)buyers.Count(b => b.Count() >= 2) / buyers.Count, a["repeatPurchaseRate"]!.GetValue<double>());
        Assert.Equal(0, a["redemptionRate"]!.GetValue<double>());
        Assert.Equal(0, a["breakage"]!.GetValue<double>());

        // Nothing redeemed: what is owed is everything issued less what returns took back, pending or available.
        var owed = _purchases.Sum(p => p.Points) + _bonusPoints.Values.Sum() - _clawed.Values.Sum();
        var liability = a["liability"]!;
        Assert.Equal(owed, long.Parse(liability["pending"]!.GetValue<string>()) + long.Parse(liability["available"]!.GetValue<string>()));

        var distribution = a["tiers"]!["distribution"]!.AsArray().ToDictionary(x => x!["tier"]?.GetValue<string>() ?? "", x => x!["members"]!.GetValue<long>());
        Assert.Equal(_members.GroupBy(m => m.Tier ?? "").ToDictionary(x => x.Key, x => (long)x.Count()), distribution);
        Assert.Empty(a["tiers"]!["migrations"]!.AsArray());

        int Month(DateOnly d) => d.Year * 12 + d.Month - 1;
        var cohorts = a["cohorts"]!.AsArray();
        Assert.Equal(Month(to) - Month(from) + 1, cohorts.Count);
        foreach (var c in cohorts)
        {
            var label = c!["cohort"]!.GetValue<string>();
            var cm = int.Parse(label[..4]) * 12 + int.Parse(label[5..]) - 1;
            var members = _members.Where(m => Month(m.Day) == cm).Select(m => m.Id).ToHashSet();
            Assert.Equal(members.Count, c["size"]!.GetValue<long>());
            var retention = c["retention"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
            Assert.Equal(Month(to) - cm + 1, retention.Count);
            for (var k = 0; k < retention.Count; k++)
            {
                var active = Activity.Where(x => members.Contains(x.Member) && Month(x.Day) == cm + k).Select(x => x.Member).Distinct().Count();
                Assert.Equal(members.Count == 0 ? 0 : (double)active / members.Count, retention[k]);
            }
        }

        var perRule = a["rules"]!.AsArray().Single(r => r!["ruleId"]!.GetValue<long>() == _ruleId)!;
        Assert.Equal(purchases.Sum(p => p.RulePoints).ToString(CultureInfo.InvariantCulture), perRule["pointsAwarded"]!.GetValue<string>());
        Assert.Equal(purchases.Where(p => p.RulePoints > 0).Select(p => p.Member).Distinct().Count(), perRule["membersReached"]!.GetValue<long>());
        Assert.NotNull(a["gas"]!["totalWei"]!.GetValue<string>());
    }

    private async Task AssertCsvAsync()
    {
        var members = await Csv(f.P("/exports/members.csv"));
        Assert.Equal(_members.Count + 1, members.Length);
        Assert.StartsWith("memberId,tier,", members[0]);
        // A tier a spreadsheet would run as a formula is written as text.
        Assert.Contains(members, l => l.Contains(",'=Gold,", StringComparison.Ordinal));
        Assert.DoesNotContain(members, l => l.Contains(",=Gold,", StringComparison.Ordinal));

        var today = DateOnly.FromDateTime(f.Time.GetUtcNow().UtcDateTime);
        var ledger = await Csv(f.P($"/exports/ledger.csv?from={today:yyyy-MM-dd}&to={today:yyyy-MM-dd}"));
        Assert.StartsWith("id,createdAt,postingId,account,kind,memberId,amount,eventId,note", ledger[0]);
        var sum = ledger.Skip(1).Sum(l => long.Parse(l.Split(',')[6], CultureInfo.InvariantCulture));
        Assert.Equal(0, sum); // double entry: the legs of the day's postings sum to zero
        Assert.True(ledger.Length > 1);
        var bad = await f.Api.GetAsync(f.P("/exports/ledger.csv?from=2026-13-01"), f.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
    }

    private async Task<string[]> Csv(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", f.AdminKey);
        using var response = await f.Api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/csv", response.Content.Headers.ContentType!.ToString());
        return (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
    }
}
