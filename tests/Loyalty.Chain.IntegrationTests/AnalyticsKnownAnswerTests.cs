using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program with a 12-hour return window on a real node and database, whose clock the test moves a day at a time.</summary>
public sealed class KnownAnswerFixture : ProgramFixture
{
    public ShiftedTime Time { get; } = new();
    protected override long PendingPeriodSeconds => 12 * 3600;
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>
/// KPIs against a population written down in advance: ten members, eight days, every purchase, visit, return, expiry,
/// redemption and tier change given by a formula of (member, day), so each expected figure below follows from the schedule
/// by arithmetic, not from what the API answered. The chain-side figures (gas, supply) are read from the node itself.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class AnalyticsKnownAnswerTests(KnownAnswerFixture f) : IClassFixture<KnownAnswerFixture>
{
    private const int Members = 10, Days = 8, ExpiryDay = 3, Cost = 40, VipMember = 0, InviteDay = 4, UninviteDay = 6;
    private const long Silver = 100, Gold = 250, VisitPoints = 7, CampaignPoints = 15;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(180);
    private static readonly string?[] Ladder = ["Bronze", "Silver", "Gold", "VIP"];

    // The schedule. Member i enrols on day 0 (i < 6) or day 1; on day d it buys (all but the last member, who stays Bronze) 20 + 10i + 5d euros when (i + d) % 3 == 0,
    // returns that purchase in full the same day (inside the 12-hour window) when (i + 2d) % 7 == 0, and visits when
    // (i * d) % 5 == 1. The campaign (15 points a purchase) runs on days 2 and 3. Member 0 is invited to VIP on day 4
    // and the invitation removed on day 6. What matures on day 3 (day 2's net points) expires on day 3. On days 5 and 6
    // every member with at least 40 (resp. 80) points available redeems a 40-point reward; each burn confirms that day.
    private static int EnrolDay(int i) => i < 6 ? 0 : 1;
    private static bool Buys(int i, int d) => d >= EnrolDay(i) && i != Members - 1 && (i + d) % 3 == 0;
    private static long Euros(int i, int d) => 20 + 10 * i + 5 * d;
    private static bool Returns(int i, int d) => Buys(i, d) && (i + 2 * d) % 7 == 0;
    private static bool Visits(int i, int d) => d >= EnrolDay(i) && i * d % 5 == 1;
    private static bool Campaign(int d) => d is 2 or 3;
    private static long PurchasePoints(int i, int d) => Euros(i, d) + (Campaign(d) ? CampaignPoints : 0);

    private sealed class Model
    {
        public readonly long[] Issued = new long[Days], Redeemed = new long[Days], Expired = new long[Days], Clawed = new long[Days];
        public readonly long[] Accruals = new long[Days];
        public readonly long[] NetEarned = new long[Days * Members];
        public readonly long[] Available = new long[Members], Lifetime = new long[Members];
        public readonly int[] Earned = new int[Members]; // rank of the earned level
        public readonly bool[] Invited = new bool[Members];
        public readonly List<(int Day, string? From, string? To)> Migrations = [];
        public int Effective(int i) => Invited[i] ? 3 : Earned[i];

        /// <summary>An earning event: lifetime points rise, the earned level rises at once when a threshold is crossed.</summary>
        public void Earn(int i, int d, long points)
        {
            Issued[d] += points;
            Accruals[d]++;
            NetEarned[d * Members + i] += points;
            Lifetime[i] += points;
            var level = Lifetime[i] >= Gold ? 2 : Lifetime[i] >= Silver ? 1 : 0;
            if (level <= Earned[i]) return;
            var before = Effective(i);
            Earned[i] = level;
            if (Effective(i) != before) Migrations.Add((d, Ladder[before], Ladder[Effective(i)]));
        }
    }

    private readonly Model _m = new();
    private readonly List<string> _ids = Enumerable.Range(0, Members).Select(i => $"ka-{i}").ToList();

    [Fact]
    public async Task Analytics_OnAScheduledPopulation_AnswersEveryKpiExactly_AndGasAndSupplyMatchTheNode()
    {
        await SetUpProgramAsync();
        var start = DateTime.UtcNow.Date.AddDays(1).AddHours(12);
        var day0 = DateOnly.FromDateTime(start);
        long reward = 0;

        for (var d = 0; d < Days; d++)
        {
            f.Time.MoveTo(start.AddDays(d));
            // Morning: yesterday's points mature (12-hour window) and are minted; on the expiry day they expire instead.
            if (d > 0)
                for (var i = 0; i < Members; i++)
                {
                    var matured = _m.NetEarned[(d - 1) * Members + i];
                    if (d == ExpiryDay) _m.Expired[d] += matured;
                    else _m.Available[i] += matured;
                }
            if (d == ExpiryDay)
            {
                Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null)).Status);
                var run = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
                Assert.True(run.Status == HttpStatusCode.OK, run.Body?.ToJsonString());
                Assert.Equal(_m.Expired[d].ToString(CultureInfo.InvariantCulture), run.Body!["expired"]!.GetValue<string>());
                await ExpiryAsync("none");
            }
            await QuiesceAsync($"morning of day {d}");

            for (var i = 0; i < Members; i++)
            {
                if (EnrolDay(i) == d) await EnrolAsync(i);
                if (Buys(i, d)) await BuyAsync(i, d);
                if (Visits(i, d)) await VisitAsync(i, d);
            }
            if (d == InviteDay) await InviteAsync(VipMember, d, invite: true);
            if (d == UninviteDay) await InviteAsync(VipMember, d, invite: false);
            if (d is 5 or 6)
            {
                reward = reward != 0 ? reward : await RewardAsync();
                for (var i = 0; i < Members; i++)
                    if (_m.Available[i] >= (d == 5 ? Cost : 2 * Cost)) await RedeemAsync(i, d, reward);
            }
            // Evening: whatever went to the chain today (mints, burns) is final today, so it is dated today.
            await QuiesceAsync($"evening of day {d}");
            // Set before midnight, so the lots that mature on the expiry day (and only those) expire at once.
            if (d == ExpiryDay - 1) await ExpiryAsync(new { policy = "fixed", days = 0 });
        }

        var last = day0.AddDays(Days - 1);
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Status);
        var report = await ReadAsync(day0, last, "day");
        await AssertAllAsync(report, day0, 0, Days - 1);
        // A sub-range: the days, rates, migrations and rules of days 2-5 only; liability and distribution are "now".
        await AssertAllAsync(await ReadAsync(day0.AddDays(2), day0.AddDays(5), "day"), day0, 2, 5);
        // Weeks and months sum the same days.
        foreach (var g in new[] { "week", "month" })
        {
            var series = (await ReadAsync(day0, last, g))["series"]!.AsArray();
            Assert.Equal(_m.Issued.Sum(), series.Sum(s => L(s!, "pointsIssued")));
            Assert.Equal(_m.Redeemed.Sum(), series.Sum(s => L(s!, "pointsRedeemed")));
            Assert.Equal(_m.Expired.Sum(), series.Sum(s => L(s!, "pointsExpired")));
            Assert.Equal(_m.Clawed.Sum(), series.Sum(s => L(s!, "pointsClawedBack")));
        }
    }

    private async Task AssertAllAsync(JsonNode a, DateOnly day0, int first, int lastDay)
    {
        var series = a["series"]!.AsArray();
        Assert.Equal(lastDay - first + 1, series.Count);
        for (var d = first; d <= lastDay; d++)
        {
            var s = series[d - first]!;
            var at = $"day {d}: {s.ToJsonString()}";
            Assert.True(day0.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) == s["period"]!.GetValue<string>(), at);
            Assert.True(_m.Issued[d] == L(s, "pointsIssued"), $"issued {_m.Issued[d]}, {at}");
            Assert.True(_m.Redeemed[d] == L(s, "pointsRedeemed"), $"redeemed {_m.Redeemed[d]}, {at}");
            Assert.True(_m.Expired[d] == L(s, "pointsExpired"), $"expired {_m.Expired[d]}, {at}");
            Assert.True(_m.Clawed[d] == L(s, "pointsClawedBack"), $"clawed back {_m.Clawed[d]}, {at}");
        }
        long issued = Sum(_m.Issued), redeemed = Sum(_m.Redeemed), expired = Sum(_m.Expired), accruals = Sum(_m.Accruals);
        long Sum(long[] perDay) => perDay.Skip(first).Take(lastDay - first + 1).Sum();
        // Redemption rate = redeemed / issued, breakage = expired / issued, both over the range (README, Analytics).
        Assert.Equal((double)redeemed / issued, a["redemptionRate"]!.GetValue<double>());
        Assert.Equal((double)expired / issued, a["breakage"]!.GetValue<double>());

        // Liability now: today's net points are still in their window; the rest matured, and all of it is on chain.
        var pending = Enumerable.Range(0, Members).Sum(i => _m.NetEarned[(Days - 1) * Members + i]);
        var available = _m.Available.Sum();
        var liability = a["liability"]!;
        Assert.Equal(pending, L(liability, "pending"));
        Assert.Equal(available, L(liability, "available"));
        var supply = await new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>()).TotalSupplyQueryAsync();
        Assert.Equal(new BigInteger(available), supply);
        Assert.Equal(supply.ToString(), liability["onChainSupply"]!.GetValue<string>());

        var distribution = a["tiers"]!["distribution"]!.AsArray().ToDictionary(x => x!["tier"]?.GetValue<string>() ?? "-", x => x!["members"]!.GetValue<long>());
        var expectedTiers = Enumerable.Range(0, Members).GroupBy(i => Ladder[_m.Effective(i)]!).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expectedTiers.OrderBy(x => x.Key), distribution.OrderBy(x => x.Key));
        var migrations = a["tiers"]!["migrations"]!.AsArray()
            .Select(x => (From: x!["from"]?.GetValue<string>(), To: x["to"]?.GetValue<string>(), Members: x["members"]!.GetValue<long>())).ToList();
        var expectedMigrations = _m.Migrations.Where(x => x.Day >= first && x.Day <= lastDay).GroupBy(x => (x.From, x.To))
            .Select(g => (g.Key.From, g.Key.To, Members: (long)g.Count())).OrderBy(x => x.From).ThenBy(x => x.To).ToList();
        Assert.Equal(expectedMigrations, migrations);

        var rules = a["rules"]!.AsArray().ToDictionary(r => r!["name"]!.GetValue<string>(), r => (L(r!, "pointsAwarded"), r!["membersReached"]!.GetValue<long>()));
        var expectedRules = RulesOf(first, lastDay);
        Assert.Equal(expectedRules.OrderBy(x => x.Key), rules.OrderBy(x => x.Key));

        // Gas: every finished settlement and burn batch of the range, as the node's receipts say (gasUsed x effectiveGasPrice).
        var gas = await ReceiptGasAsync(day0, first, lastDay);
        var g = a["gas"]!;
        Assert.Equal(gas.ToString(), g["totalWei"]!.GetValue<string>());
        Assert.Equal(series.Aggregate(BigInteger.Zero, (x, s) => x + BigInteger.Parse(s!["gasWei"]!.GetValue<string>())), gas);
        Assert.Equal((accruals == 0 ? BigInteger.Zero : gas / accruals).ToString(), g["perAccrualWei"]!.GetValue<string>());
        Assert.Equal((double)gas / issued, g["shareOfPointsIssued"]!.GetValue<double>());
    }

    /// <summary>Points each rule awarded on days first..last (gross: a return does not undo an award) and the members it reached.</summary>
    private static Dictionary<string, (long, long)> RulesOf(int first, int last)
    {
        var points = new Dictionary<string, long>();
        var reached = new Dictionary<string, HashSet<int>>();
        void Add(string rule, long p, int i)
        {
            points[rule] = points.GetValueOrDefault(rule) + p;
            (reached.TryGetValue(rule, out var s) ? s : reached[rule] = []).Add(i);
        }
        for (var d = first; d <= last; d++)
            for (var i = 0; i < Members; i++)
            {
                if (Buys(i, d)) Add("per euro", Euros(i, d), i);
                if (Buys(i, d) && Campaign(d)) Add("double days", CampaignPoints, i);
                if (Visits(i, d)) Add("visit", VisitPoints, i);
            }
        return points.ToDictionary(x => x.Key, x => (x.Value, (long)reached[x.Key].Count));
    }

    private async Task<BigInteger> ReceiptGasAsync(DateOnly day0, int first, int last)
    {
        var batches = (await f.Api.GetAsync(f.P("/settlement"), f.AdminKey)).Body!["batches"]!.AsArray();
        Assert.True(batches.Count is > 0 and < 100, $"{batches.Count} batches");
        var total = BigInteger.Zero;
        foreach (var b in batches)
        {
            Assert.NotEqual("Pending", b!["status"]!.GetValue<string>());
            var hash = b["txHash"]!.GetValue<string>();
            var receipt = await f.Chain.Chain.AdminWeb3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash);
            Assert.NotNull(receipt);
            // Each day's batches finish that day (QuiesceAsync), so the day a batch was created is the day it completed.
            var day = DateOnly.FromDateTime(b["createdAt"]!.GetValue<DateTime>());
            if (day.DayNumber - day0.DayNumber < first || day.DayNumber - day0.DayNumber > last) continue;
            total += receipt.GasUsed.Value * receipt.EffectiveGasPrice.Value;
        }
        return total;
    }

    private static long L(JsonNode n, string field) => long.Parse(n[field]!.GetValue<string>(), CultureInfo.InvariantCulture);

    private async Task SetUpProgramAsync()
    {
        await Rule(new { name = "per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        await Rule(new { name = "visit", trigger = "visit", effect = new { kind = "Fixed", points = VisitPoints } });
        var start = DateTime.UtcNow.Date.AddDays(1);
        await Rule(new
        {
            name = "double days", trigger = "purchase", effect = new { kind = "Fixed", points = CampaignPoints },
            startsAt = start.AddDays(2), endsAt = start.AddDays(4),
        });
        var tiers = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, new
        {
            metric = "points_earned", window = "lifetime", downgrade = "never",
            levels = new object[]
            {
                new { name = "Bronze", threshold = "0" }, new { name = "Silver", threshold = $"{Silver}" }, new { name = "Gold", threshold = $"{Gold}" },
                new { name = "VIP", invitationOnly = true },
            },
        });
        Assert.True(tiers.Status == HttpStatusCode.OK, tiers.Body?.ToJsonString());
        await ExpiryAsync("none");

        async Task Rule(object body)
        {
            var r = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, body);
            Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        }
    }

    private async Task ExpiryAsync(object expiry)
    {
        var r = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { expiry = expiry is string s ? new { policy = s } : expiry });
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
    }

    private async Task EnrolAsync(int i)
    {
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = _ids[i] });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        Assert.Equal("Bronze", r.Body!["tier"]?.GetValue<string>() ?? (await f.Api.GetAsync(f.P($"/members/{_ids[i]}"), f.AdminKey)).Body!["tier"]!.GetValue<string>());
    }

    private async Task<JsonNode> EventAsync(string type, int i, long? euros, string? orderId = null)
    {
        var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
        {
            type, memberId = _ids[i], eventId = $"{type}-{Guid.NewGuid():N}", orderId, amount = euros is { } e ? $"{e}.00" : null,
        });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        return r.Body!;
    }

    private async Task BuyAsync(int i, int d)
    {
        var points = PurchasePoints(i, d);
        var bought = await EventAsync("purchase", i, Euros(i, d));
        Assert.Equal(points.ToString(CultureInfo.InvariantCulture), bought["points"]!.GetValue<string>());
        _m.Earn(i, d, points);
        if (!Returns(i, d)) return;
        var back = await EventAsync("return", i, Euros(i, d), bought["eventId"]!.GetValue<string>());
        Assert.Equal(points.ToString(CultureInfo.InvariantCulture), back["clawedBack"]!.GetValue<string>());
        _m.Clawed[d] += points;
        _m.NetEarned[d * Members + i] -= points;
        _m.Lifetime[i] -= points; // the lifetime window loses them too, but a tier is never taken back (downgrade: never)
    }

    private async Task VisitAsync(int i, int d)
    {
        var visit = await EventAsync("visit", i, null);
        Assert.Equal($"{VisitPoints}", visit["points"]!.GetValue<string>());
        _m.Earn(i, d, VisitPoints);
    }

    private async Task InviteAsync(int i, int d, bool invite)
    {
        var before = _m.Effective(i);
        var r = invite
            ? await f.Api.PostAsync(f.P($"/members/{_ids[i]}/tier"), f.AdminKey, new { tier = "VIP" })
            : await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{_ids[i]}/tier"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        _m.Invited[i] = invite;
        _m.Migrations.Add((d, Ladder[before], Ladder[_m.Effective(i)]));
    }

    private async Task<long> RewardAsync()
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = "known-answer mug", cost = $"{Cost}" });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task RedeemAsync(int i, int d, long reward)
    {
        var r = await f.Api.PostAsync(f.P($"/members/{_ids[i]}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        _m.Available[i] -= Cost;
        _m.Redeemed[d] += Cost;
    }

    /// <summary>Settles until nothing is queued, batched, reserved or in flight: every mint and burn of the day is final.</summary>
    private async Task QuiesceAsync(string when)
    {
        JsonNode? last = null;
        var done = await LoyaltyApi.EventuallyAsync(async () =>
        {
            await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
            last = (await f.Api.GetAsync(f.P("/settlement"), f.AdminKey)).Body!;
            var ledger = last["ledger"]!;
            return last["queuedIntents"]!.GetValue<int>() == 0 && last["batchedIntents"]!.GetValue<int>() == 0
                   && ledger["reserved"]!.GetValue<string>() == "0" && ledger["onChain"]!.GetValue<string>() == ledger["available"]!.GetValue<string>()
                   && last["batches"]!.AsArray().All(b => b!["status"]!.GetValue<string>() != "Pending");
        }, Wait);
        Assert.True(done, $"not settled by the {when}: {last?.ToJsonString()}{await PipelineDiagnostics.DescribeAsync(f.Factory.Services)}");
    }

    private async Task<JsonNode> ReadAsync(DateOnly from, DateOnly to, string granularity)
    {
        var r = await f.Api.GetAsync(f.P($"/analytics?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity={granularity}"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        return r.Body!;
    }
}
