using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Analytics;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Tiers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A rebuild folds two source rows of each kind per transaction, so it takes long enough for events to arrive meanwhile.</summary>
public sealed class RebuildFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Analytics:RebuildChunk"] = "2", ["Jobs:AnalyticsRebuildCron"] = "* * * * * *",
        // Forty chunks of two rows per pass of the job (one a second): the rebuild stays Running over several passes, so the
        // events the test sends meanwhile do arrive while it runs (one unbounded pass was over between two of its polls).
        ["Analytics:RebuildChunksPerPass"] = "40" };
}

/// <summary>
/// Roll-ups folded before 91d86da counted every member of a tier policy twice. A rebuild must give exactly what a fresh fold
/// gives, computed here from a schedule of purchases, and must count every event once even while intake goes on.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class AnalyticsRebuildTests(RebuildFixture f) : IClassFixture<RebuildFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(240);
    private static readonly string[] Ladder = ["Bronze", "Silver", "Gold", "VIP"];
    private const long Silver = 100, Gold = 250;

    private readonly Dictionary<string, long> _lifetime = [];
    private readonly Dictionary<string, int> _earned = [];
    private readonly HashSet<string> _invited = [];
    private readonly List<(string? From, string? To)> _migrations = [];
    private long _issued, _purchases, _amountCents;

    private int Effective(string m) => _invited.Contains(m) ? 3 : _earned[m];

    [Fact]
    public async Task Rebuild_OfTheOldDoubledTierCounts_GivesTheFreshFoldExactly_AndCountsEventsArrivingMeanwhileOnce()
    {
        await SetUpAsync();
        for (var i = 0; i < 12; i++)
        {
            var m = $"rb-a{i}";
            await EnrolAsync(m);
            // Member i buys i % 4 + 1 times, 20 + 15i + 5k euros each: some cross 100 (Silver) and 250 (Gold).
            for (var k = 0; k < i % 4 + 1; k++) await BuyAsync(m, 20 + 15 * i + 5 * k);
        }
        await InviteAsync("rb-a0");
        await QuiesceAsync("population A");
        var fresh = await ReadAsync();
        AssertExact(fresh);

        // What a fold before the fix left: each member in its current tier, and every change (the enrolment placement too) applied again.
        await CorruptLikeTheOldFoldAsync();
        var corrupted = await ReadAsync();
        Assert.NotEqual(Distribution(fresh), Distribution(corrupted));
        Assert.Contains(Distribution(corrupted), x => x.Value < 0);

        var key = "rebuild-" + Guid.NewGuid().ToString("N");
        var queued = await f.Api.PostAsync(f.P("/analytics/rebuild"), f.AdminKey, null, key);
        Assert.True(queued.Status == HttpStatusCode.Accepted, queued.Body?.ToJsonString());
        Assert.Equal(f.P("/analytics/rebuild"), queued.Response.Headers.Location?.ToString());
        var id = queued.Body!["id"]!.GetValue<long>();
        var replay = await f.Api.PostAsync(f.P("/analytics/rebuild"), f.AdminKey, null, key);
        Assert.Equal(id, replay.Body!["id"]!.GetValue<long>());
        Assert.True(replay.Response.Headers.Contains("Idempotent-Replayed"));
        // One at a time: another request while it is queued or running is answered with the same rebuild.
        var second = await f.Api.PostAsync(f.P("/analytics/rebuild"), f.AdminKey, null);
        Assert.True(second.Body!["id"]!.GetValue<long>() == id || second.Body["status"]!.GetValue<string>() is not ("Queued" or "Running"), second.Body.ToJsonString());
        var done = await DoneAsync(id);
        Assert.Equal("key:", done["requestedBy"]!.GetValue<string>()[..4]);
        Assert.True(long.Parse(done["rowsFolded"]!.GetValue<string>()) > 0);

        var rebuilt = await ReadAsync();
        AssertExact(rebuilt);
        Assert.Equal(Comparable(fresh), Comparable(rebuilt));
        // The next fold after the swap goes into the rebuilt rows: a purchase made now is in the next answer.
        await BuyAsync("rb-a3", 9);
        AssertExact(await ReadAsync());

        // Now a rebuild while purchases and enrolments keep coming: every one is counted once, whichever side of the swap it falls.
        var again = await f.Api.PostAsync(f.P("/analytics/rebuild"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.Accepted, again.Status);
        var againId = again.Body!["id"]!.GetValue<long>();
        var whileRunning = 0;
        string status;
        var j = 0;
        do
        {
            status = (await f.Api.GetAsync(f.P("/analytics/rebuild"), f.AdminKey)).Body!["status"]!.GetValue<string>();
            var m = $"rb-b{j}";
            await EnrolAsync(m);
            await BuyAsync(m, 30 + j % 7);
            await BuyAsync($"rb-a{j % 12}", 10 + j % 5);
            if (status == "Running") whileRunning++;
            j++;
        } while (status != "Done" && j < 150);
        Assert.True(whileRunning > 0, $"no event arrived while the rebuild ran ({j} sent, last status {status})");
        Console.WriteLine($"analytics rebuild: {whileRunning} of {j} rounds of events arrived while it ran");
        await DoneAsync(againId);
        for (var k = 0; k < 3; k++) await BuyAsync($"rb-b{k}", 12); // after the swap
        await QuiesceAsync("population B");
        AssertExact(await ReadAsync());
    }

    private void AssertExact(JsonNode a)
    {
        var today = a["series"]!.AsArray().Single()!;
        Assert.Equal(_issued, L(today, "pointsIssued"));
        Assert.Equal(_purchases, today["purchases"]!.GetValue<long>());
        Assert.Equal(_amountCents, L(today, "purchaseAmount"));
        Assert.Equal(_lifetime.Count, today["newMembers"]!.GetValue<long>());
        Assert.Equal(_lifetime.Count, a["members"]!["total"]!.GetValue<long>());
        var expected = _lifetime.Keys.GroupBy(m => Ladder[Effective(m)]).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(x => x.Key).ToList(), Distribution(a).OrderBy(x => x.Key).ToList());
        var migrations = a["tiers"]!["migrations"]!.AsArray().Select(x => (x!["from"]?.GetValue<string>(), x["to"]?.GetValue<string>(), x["members"]!.GetValue<long>())).ToList();
        var expectedMigrations = _migrations.GroupBy(x => x).Select(g => (g.Key.From, g.Key.To, (long)g.Count())).OrderBy(x => x.From).ThenBy(x => x.To).ToList();
        Assert.Equal(expectedMigrations, migrations);
        var rule = a["rules"]!.AsArray().Single()!;
        Assert.Equal(_issued, L(rule, "pointsAwarded"));
        Assert.Equal(_lifetime.Count(x => x.Value > 0), rule["membersReached"]!.GetValue<long>());
        var liability = a["liability"]!;
        Assert.Equal(_issued, L(liability, "pending") + L(liability, "available"));
    }

    private static Dictionary<string, long> Distribution(JsonNode a) =>
        a["tiers"]!["distribution"]!.AsArray().ToDictionary(x => x!["tier"]?.GetValue<string>() ?? "-", x => x!["members"]!.GetValue<long>());

    private static string Comparable(JsonNode a)
    {
        var copy = JsonNode.Parse(a.ToJsonString())!.AsObject();
        copy.Remove("generatedAt");
        return copy.ToJsonString();
    }

    private async Task CorruptLikeTheOldFoldAsync()
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var key = await AnalyticsKeys.LiveAsync(db, f.ProgramId, default);
        var tiers = (await db.Set<Member>().Where(m => m.ProgramId == f.ProgramId).Select(m => m.Tier).ToListAsync())
            .GroupBy(t => t ?? "").ToDictionary(g => g.Key, g => (long)g.Count());
        var changes = await db.Set<TierChange>().Where(t => t.ProgramId == f.ProgramId).ToListAsync();
        foreach (var c in changes)
        {
            tiers[c.From ?? ""] = tiers.GetValueOrDefault(c.From ?? "") - 1;
            tiers[c.To ?? ""] = tiers.GetValueOrDefault(c.To ?? "") + 1;
        }
        await db.InWriteTransactionAsync(async ct =>
        {
            await db.Set<AnalyticsTierCount>().Where(x => x.ProgramId == key).ExecuteDeleteAsync(ct);
            foreach (var (tier, n) in tiers) db.Add(new AnalyticsTierCount { ProgramId = key, Tier = tier, Members = n });
            var rows = await db.Set<AnalyticsTierMigration>().Where(x => x.ProgramId == key).ToListAsync(ct);
            foreach (var c in changes.Where(c => c.Reason == TierChange.Enrolled))
            {
                var day = AnalyticsMath.DayOf(c.At);
                var row = rows.SingleOrDefault(x => x.Day == day && x.From == (c.From ?? "") && x.To == (c.To ?? ""));
                if (row is null) { rows.Add(row = new AnalyticsTierMigration { ProgramId = key, Day = day, From = c.From ?? "", To = c.To ?? "" }); db.Add(row); }
                row.Members++;
            }
            await db.SaveChangesAsync(ct);
        }, default);
    }

    private async Task SetUpAsync()
    {
        var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        Assert.True(rule.Status == HttpStatusCode.Created, rule.Body?.ToJsonString());
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
    }

    private async Task EnrolAsync(string m)
    {
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        _lifetime[m] = 0;
        _earned[m] = 0;
    }

    private async Task BuyAsync(string m, long euros)
    {
        var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = m, eventId = $"p-{Guid.NewGuid():N}", amount = $"{euros}.00" });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        Assert.Equal(euros.ToString(CultureInfo.InvariantCulture), r.Body!["points"]!.GetValue<string>());
        _issued += euros;
        _purchases++;
        _amountCents += euros * 100;
        _lifetime[m] += euros;
        var level = _lifetime[m] >= Gold ? 2 : _lifetime[m] >= Silver ? 1 : 0;
        if (level <= _earned[m]) return;
        var before = Effective(m);
        _earned[m] = level;
        if (Effective(m) != before) _migrations.Add((Ladder[before], Ladder[Effective(m)]));
    }

    private async Task InviteAsync(string m)
    {
        var before = Effective(m);
        var r = await f.Api.PostAsync(f.P($"/members/{m}/tier"), f.AdminKey, new { tier = "VIP" });
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        _invited.Add(m);
        _migrations.Add((Ladder[before], "VIP"));
    }

    private async Task<JsonNode> DoneAsync(long id)
    {
        JsonNode? last = null;
        var done = await LoyaltyApi.EventuallyAsync(async () =>
        {
            last = (await f.Api.GetAsync(f.P("/analytics/rebuild"), f.AdminKey)).Body;
            return last?["id"]?.GetValue<long>() == id && last["status"]!.GetValue<string>() is "Done" or "Failed";
        }, Wait);
        Assert.True(done && last!["status"]!.GetValue<string>() == "Done", $"rebuild {id}: {last?.ToJsonString()}");
        return last!;
    }

    /// <summary>Every mint of the points earned so far is final, so no ledger row changes between two reads.</summary>
    private async Task QuiesceAsync(string when)
    {
        JsonNode? last = null;
        var done = await LoyaltyApi.EventuallyAsync(async () =>
        {
            await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
            last = (await f.Api.GetAsync(f.P("/settlement"), f.AdminKey)).Body!;
            var ledger = last["ledger"]!;
            return last["queuedIntents"]!.GetValue<int>() == 0 && last["batchedIntents"]!.GetValue<int>() == 0
                   && ledger["onChain"]!.GetValue<string>() == ledger["available"]!.GetValue<string>()
                   && last["batches"]!.AsArray().All(b => b!["status"]!.GetValue<string>() != "Pending");
        }, Wait);
        Assert.True(done, $"not settled after {when}: {last?.ToJsonString()}");
    }

    private async Task<JsonNode> ReadAsync()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var r = await f.Api.GetAsync(f.P($"/analytics?from={today:yyyy-MM-dd}&to={today:yyyy-MM-dd}"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        return r.Body!;
    }

    private static long L(JsonNode n, string field) => long.Parse(n[field]!.GetValue<string>(), CultureInfo.InvariantCulture);
}
