using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Leaderboards;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Leaderboards on a real SQLite file: purchases go through intake (Earn to Pending, returns clawed back), then each member's
/// postings are placed at chosen instants so period boundaries in the program's zone (Europe/Paris) are exact.
/// </summary>
public sealed class LeaderboardTests(PendingProgramFixture f) : IClassFixture<PendingProgramFixture>
{
    private async Task SetupAsync()
    {
        var zone = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { timeZone = "Europe/Paris" });
        Assert.True(zone.Status == HttpStatusCode.OK, zone.Body?.ToJsonString());
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
    }

    private static string NewId(string name) => $"lb-{name}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<string> MemberAsync(string name)
    {
        var id = NewId(name);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, email = $"{id}@example.com" })).Status);
        return id;
    }

    private async Task BuyAsync(string member, int euros, string? order = null)
    {
        var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = order ?? "o-" + Guid.NewGuid().ToString("N"), amount = $"{euros}.00" });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
    }

    private async Task<JsonNode> OptInAsync(string member, string? displayName = null, bool optIn = true)
    {
        var r = await f.Api.SendAsync(HttpMethod.Put, f.P($"/members/{member}/leaderboard"), f.AdminKey, new { optIn, displayName });
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        return r.Body!;
    }

    /// <summary>Places every posting of <paramref name="member"/> at <paramref name="utc"/> (their order, by id, stays).</summary>
    private async Task PostedAtAsync(string member, DateTime utc)
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var id = await db.Set<Member>().Where(m => m.ProgramId == f.ProgramId && m.ExternalId == member).Select(m => m.Id).SingleAsync();
        await db.Set<LedgerEntry>().Where(e => e.MemberId == id).ExecuteUpdateAsync(u => u.SetProperty(e => e.CreatedAt, utc));
    }

    private async Task<JsonNode> BoardAsync(string query, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, f.P("/leaderboard?" + query));
        if (token is null) request.Headers.Add("X-Api-Key", f.AdminKey);
        else request.Headers.Authorization = new("Bearer", token);
        var response = await f.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static List<(int Rank, string Name, string Points)> Rows(JsonNode board) =>
        board["rows"]!.AsArray().Select(r => (r!["rank"]!.GetValue<int>(), r["displayName"]!.GetValue<string>(), r["points"]!.GetValue<string>())).ToList();

    private static void Is(JsonNode board, params (int, string, string)[] expected) => Assert.Equal(expected, Rows(board));

    private async Task<string> TokenAsync(string member) =>
        (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();

    [Fact]
    public async Task Leaderboard_RanksOptedInUnblockedMembersByPointsEarnedInTheZonesPeriod_ByPseudonymOnly()
    {
        await SetupAsync();
        var alice = await MemberAsync("alice");
        var bob = await MemberAsync("bob");
        var carol = await MemberAsync("carol");   // not opted in
        var dave = await MemberAsync("dave");     // opted in, then blocked
        var erin = await MemberAsync("erin");     // 200 earned, 150 returned
        var frank = await MemberAsync("frank");   // a goodwill grant only
        var hank = await MemberAsync("hank");     // 00:30 on 1 March in Paris is still February in UTC
        var gina = await MemberAsync("gina");     // 00:30 on 1 April in Paris is still March in UTC

        // Alice reaches 120 before Bob does: the tie goes to her.
        await BuyAsync(alice, 120);
        await BuyAsync(bob, 120);
        await BuyAsync(carol, 500);
        await BuyAsync(dave, 300);
        await BuyAsync(erin, 200, "erin-order-" + erin);
        var ret = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = erin, eventId = "ret-" + erin, orderId = "erin-order-" + erin, amount = "150.00" });
        Assert.Equal("150", ret.Body!["clawedBack"]!.GetValue<string>());
        var grant = await f.Api.PostAsync(f.P($"/members/{frank}/adjustments"), f.AdminKey, new { type = "grant", points = "1000", reason = "goodwill" }, "grant-" + frank);
        Assert.True(grant.Status is HttpStatusCode.Created or HttpStatusCode.OK, grant.Body?.ToJsonString());
        await BuyAsync(hank, 80);
        await BuyAsync(gina, 70);

        var aliceName = (await OptInAsync(alice, "Coffee Queen"))["displayName"]!.GetValue<string>();
        var bobView = await OptInAsync(bob);
        Assert.True(bobView["generated"]!.GetValue<bool>());
        var bobName = bobView["displayName"]!.GetValue<string>();
        Assert.Matches(@"\A[A-Z][a-z]+ [A-Z][a-z]+ [1-9][0-9]\z", bobName);
        Assert.Equal(bobName, (await OptInAsync(bob))["displayName"]!.GetValue<string>()); // stable
        foreach (var m in new[] { dave, erin, frank, hank, gina }) await OptInAsync(m);
        await OptInAsync(carol, optIn: false);
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P($"/members/{dave}/block"), f.AdminKey, new { reason = "fraud check" })).Status);

        foreach (var m in new[] { alice, bob, carol, dave, frank }) await PostedAtAsync(m, new DateTime(2031, 3, 10, 9, 0, 0, DateTimeKind.Utc));
        await PostedAtAsync(erin, new DateTime(2031, 3, 12, 9, 0, 0, DateTimeKind.Utc));
        await PostedAtAsync(hank, new DateTime(2031, 2, 28, 23, 30, 0, DateTimeKind.Utc));
        await PostedAtAsync(gina, new DateTime(2031, 3, 31, 22, 30, 0, DateTimeKind.Utc));

        var hankName = (await OptInAsync(hank))["displayName"]!.GetValue<string>();
        var erinName = (await OptInAsync(erin))["displayName"]!.GetValue<string>();
        var ginaName = (await OptInAsync(gina))["displayName"]!.GetValue<string>();

        var march = await BoardAsync("period=month&at=2031-03-15&limit=10");
        Assert.Equal("month", march["period"]!.GetValue<string>());
        Assert.Equal("2031-03-01", march["from"]!.GetValue<string>());
        Assert.Equal("2031-03-31", march["to"]!.GetValue<string>());
        Is(march, (1, aliceName, "120"), (2, bobName, "120"), (3, hankName, "80"), (4, erinName, "50"));

        Is(await BoardAsync("period=month&at=2031-04-01"), (1, ginaName, "70"));
        Assert.DoesNotContain(Rows(await BoardAsync("period=month&at=2031-02-28")), r => r.Name == hankName);
        Is(await BoardAsync("period=week&at=2031-03-16"), (1, aliceName, "120"), (2, bobName, "120"), (3, erinName, "50"));
        Assert.Equal(5, Rows(await BoardAsync("period=year&at=2031-06-01")).Count);

        // Never a member id or e-mail in the answer.
        var text = march.ToJsonString();
        foreach (var m in new[] { alice, bob, carol, dave, erin, frank, hank, gina }) Assert.DoesNotContain(m, text);
        Assert.DoesNotContain("memberId", text);
        Assert.DoesNotContain("@", text);

        // A member token adds "you", even outside the top; a member not opted in has points but no rank.
        var erinBoard = await BoardAsync("period=month&at=2031-03-15&limit=2", await TokenAsync(erin));
        Assert.Equal(2, Rows(erinBoard).Count);
        Assert.Equal(4, erinBoard["you"]!["rank"]!.GetValue<int>());
        Assert.Equal("50", erinBoard["you"]!["points"]!.GetValue<string>());
        var carolBoard = await BoardAsync("period=month&at=2031-03-15", await TokenAsync(carol));
        Assert.Null(carolBoard["you"]!["rank"]);
        Assert.Equal("500", carolBoard["you"]!["points"]!.GetValue<string>());
        Assert.False(carolBoard["you"]!["optIn"]!.GetValue<bool>());
        Assert.Null(march["you"]);

        // Opting out takes a member off at once.
        await OptInAsync(alice, optIn: false);
        Is(await BoardAsync("period=month&at=2031-03-15"), (1, bobName, "120"), (2, hankName, "80"), (3, erinName, "50"));
    }

    [Fact]
    public async Task DisplayNames_AreValidated_UniqueCaseInsensitively_AndRefusalsChangeNothing()
    {
        await SetupAsync();
        var taken = await MemberAsync("taken");
        await OptInAsync(taken, "Green Bean");
        var member = await MemberAsync("named");
        await OptInAsync(member, "Espresso Fan");

        async Task Refused(object body, string code, HttpStatusCode status = HttpStatusCode.BadRequest)
        {
            var r = await f.Api.SendAsync(HttpMethod.Put, f.P($"/members/{member}/leaderboard"), f.AdminKey, body);
            Assert.True(r.Status == status && r.Body?["code"]?.GetValue<string>() == code, $"{System.Text.Json.JsonSerializer.Serialize(body)}: {(int)r.Status} {r.Body?.ToJsonString()}");
        }
        await Refused(new { displayName = "No flag" }, "INVALID_OPT_IN");
        await Refused(new { optIn = true, displayName = "ab" }, "INVALID_DISPLAY_NAME");
        await Refused(new { optIn = true, displayName = new string('a', 25) }, "INVALID_DISPLAY_NAME");
        await Refused(new { optIn = true, displayName = "me@example.com" }, "INVALID_DISPLAY_NAME");
        await Refused(new { optIn = true, displayName = "Two\nLines" }, "INVALID_DISPLAY_NAME");
        await Refused(new { optIn = true, displayName = "Double  space" }, "INVALID_DISPLAY_NAME");
        await Refused(new { optIn = false, displayName = "Call 0612345678" }, "DISPLAY_NAME_NOT_ALLOWED");
        await Refused(new { optIn = true, displayName = member[..Math.Min(member.Length, 24)] }, "DISPLAY_NAME_NOT_ALLOWED");
        await Refused(new { optIn = true, displayName = "gREEN bEAN" }, "DISPLAY_NAME_TAKEN", HttpStatusCode.Conflict);

        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var row = await (from p in db.Set<LeaderboardProfile>() join m in db.Set<Member>() on p.MemberId equals m.Id
                             where m.ProgramId == f.ProgramId && m.ExternalId == member select p).AsNoTracking().SingleAsync();
            Assert.Equal("Espresso Fan", row.DisplayName);
            Assert.True(row.OptedIn);
        }
        // Its own name in another case is not "taken".
        Assert.Equal("espresso FAN", (await OptInAsync(member, "espresso FAN"))["displayName"]!.GetValue<string>());

        async Task BadQuery(string query, string code)
        {
            var r = await f.Api.GetAsync(f.P("/leaderboard?" + query), f.AdminKey);
            Assert.True(r.Status == HttpStatusCode.BadRequest && r.Body?["code"]?.GetValue<string>() == code, $"{query}: {(int)r.Status} {r.Body?.ToJsonString()}");
        }
        await BadQuery("period=day", "INVALID_PERIOD");
        await BadQuery("period=week&at=2031-13-01", "INVALID_DATE");
        await BadQuery("at=01/03/2031", "INVALID_DATE");
        await BadQuery("limit=0", "INVALID_LIMIT");
        await BadQuery("limit=101", "INVALID_LIMIT");
        await BadQuery("limit=1e1", "INVALID_LIMIT");
        await BadQuery("limit=-5", "INVALID_LIMIT");
    }
}
