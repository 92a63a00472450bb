using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Member lists, profile PATCH, block/unblock and the event log, through the API on a real node and SQLite file.</summary>
public sealed class MemberManagementTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    private async Task EnsureRulesAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase")) return;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "spend", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "Fixed", points = 7 } });
    }

    private async Task<JsonNode> EnrolAsync(string id, string? tier = null, object? attributes = null)
    {
        var body = new Dictionary<string, object> { ["externalId"] = id };
        if (tier is not null) body["tier"] = tier;
        if (attributes is not null) body["attributes"] = attributes;
        var r = await f.Api.PostAsync(f.P("/members"), f.AdminKey, body);
        Assert.True(r.Status == HttpStatusCode.Created, $"{r.Status} {r.Body}");
        return r.Body!;
    }

    private static List<string> Ids(JsonNode page) => page["items"]!.AsArray().Select(i => i!["memberId"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task List_FiltersByTierAttributePrefixBalanceAndBlocked_AndPagesByCursorInIdOrder()
    {
        await EnsureRulesAsync();
        var prefix = Unique("ls");
        var ids = Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}").ToList();
        for (var i = 0; i < 5; i++)
            await EnrolAsync(ids[i], tier: i % 2 == 0 ? "gold" : "silver", attributes: new Dictionary<string, string> { ["city"] = i < 2 ? "Paris" : "Lyon" });
        // A member whose id merely differs in case must not match the prefix.
        await EnrolAsync(prefix.ToUpperInvariant() + "-x");
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = ids[3], eventId = "g-" + ids[3] });

        var all = (await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}"), f.AdminKey)).Body!;
        Assert.Equal(ids, Ids(all));
        Assert.Null(all["nextCursor"]);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}")), f.AdminKey);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.True(page.Body!["items"]!.AsArray().Count <= 2);
            seen.AddRange(Ids(page.Body));
            cursor = page.Body["nextCursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(ids, seen);

        Assert.Equal([ids[0], ids[2], ids[4]], Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&tier=gold"), f.AdminKey)).Body!));
        Assert.Equal([ids[0], ids[1]], Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&attribute=city:Paris"), f.AdminKey)).Body!));
        Assert.Empty(Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&attribute=city:paris"), f.AdminKey)).Body!));
        Assert.Equal([ids[3]], Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&balanceAbove=6"), f.AdminKey)).Body!));
        Assert.Empty(Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&balanceAbove=7"), f.AdminKey)).Body!));
        var from = Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(-10).ToString("O"));
        Assert.Equal(ids, Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&enrolledFrom={from}"), f.AdminKey)).Body!));
        Assert.Empty(Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&enrolledTo={from}"), f.AdminKey)).Body!));

        await f.Api.PostAsync(f.P($"/members/{ids[1]}/block"), f.AdminKey, new { reason = "fraud review" });
        Assert.Equal([ids[1]], Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&blocked=true"), f.AdminKey)).Body!));
        Assert.Equal(4, Ids((await f.Api.GetAsync(f.P($"/members?externalIdPrefix={prefix}&blocked=false"), f.AdminKey)).Body!).Count);

        foreach (var (query, code) in new[]
                 {
                     ("limit=0", "INVALID_LIMIT"), ("limit=201", "INVALID_LIMIT"), ("limit=abc", "INVALID_LIMIT"), ("cursor=bm9wZQ", "INVALID_CURSOR"),
                     ("balanceAbove=1.5", "INVALID_AMOUNT"), ("balanceAbove=-1", "INVALID_AMOUNT"), ("enrolledFrom=2026-01-01", "INVALID_FILTER"),
                     ("blocked=yes", "INVALID_FILTER"), ("attribute=nocolon", "INVALID_FILTER"), ("externalIdPrefix=%0A", "INVALID_FILTER"),
                 })
        {
            var bad = await f.Api.GetAsync(f.P("/members?" + query), f.AdminKey);
            Assert.True(bad.Status == HttpStatusCode.BadRequest, $"{query}: {bad.Status} {bad.Body}");
            Assert.Equal(code, bad.Body!["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Patch_MergesAttributesStampsConsents_RefusesUnknownFields_AndAMemberTokenMayNotSetAttributes()
    {
        var id = Unique("pt");
        await EnrolAsync(id, attributes: new Dictionary<string, string> { ["city"] = "Paris", ["shoe"] = "42" });
        var patched = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{id}"), f.AdminKey,
            rawBody: """{"email":"a@example.com","birthday":"1990-04-01","attributes":{"city":"Lyon","shoe":null,"vip":"yes"},"consents":{"marketingEmail":true,"sms":false}}""");
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("a@example.com", patched.Body!["email"]!.GetValue<string>());
        Assert.Equal("1990-04-01", patched.Body["birthday"]!.GetValue<string>());
        var attributes = patched.Body["attributes"]!.AsObject();
        Assert.Equal(2, attributes.Count);
        Assert.Equal("Lyon", attributes["city"]!.GetValue<string>());
        Assert.Equal("yes", attributes["vip"]!.GetValue<string>());
        Assert.True(patched.Body["consents"]!["marketingEmail"]!["granted"]!.GetValue<bool>());
        Assert.False(patched.Body["consents"]!["sms"]!["granted"]!.GetValue<bool>());
        var givenAt = patched.Body["consents"]!["marketingEmail"]!["at"]!.GetValue<DateTime>();
        Assert.True(givenAt > DateTime.UtcNow.AddMinutes(-1));

        foreach (var (body, code) in new[]
                 {
                     ("""{"tier":"gold"}""", "UNKNOWN_FIELD"), ("""{"email":"no-at"}""", "INVALID_PROFILE"), ("""{"birthday":"01/04/1990"}""", "INVALID_PROFILE"),
                     ("""{"attributes":{"k":5}}""", "INVALID_PROFILE"), ("""{"consents":{"sms":"yes"}}""", "INVALID_CONSENT"),
                     ("{\"attributes\":{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"k{i}\":\"v\"")) + "}}", "INVALID_PROFILE"),
                 })
        {
            var bad = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{id}"), f.AdminKey, rawBody: body);
            Assert.True(bad.Status == HttpStatusCode.BadRequest, $"{body}: {bad.Status} {bad.Body}");
            Assert.Equal(code, bad.Body!["code"]!.GetValue<string>());
        }
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var profile = await db.Set<MemberProfile>().AsNoTracking().SingleAsync(p => p.MemberId == db.Set<Member>().Single(m => m.ExternalId == id).Id);
            Assert.Equal("a@example.com", profile.Email);
            Assert.Equal(2, profile.Attributes.Count);
        }

        var token = (await f.Api.PostAsync(f.P($"/members/{id}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        async Task<(HttpStatusCode Status, JsonNode? Body)> AsMember(string member, string body)
        {
            var request = new HttpRequestMessage(HttpMethod.Patch, f.P($"/members/{member}"))
            {
                Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", token);
            var response = await f.Api.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
        }
        var own = await AsMember(id, """{"consents":{"marketingEmail":false},"phone":"+331234"}""");
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.False(own.Body!["consents"]!["marketingEmail"]!["granted"]!.GetValue<bool>());
        Assert.True(own.Body["consents"]!["marketingEmail"]!["at"]!.GetValue<DateTime>() >= givenAt);
        var attributesByMember = await AsMember(id, """{"attributes":{"vip":"gold"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, attributesByMember.Status);
        Assert.Equal("FIELD_NOT_ALLOWED", attributesByMember.Body!["code"]!.GetValue<string>());
        var other = Unique("po");
        await EnrolAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsMember(other, """{"phone":"+33"}""")).Status);

        // Erased, then filled and erased again.
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{id}/profile"), f.AdminKey)).Status);
        var refilled = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{id}"), f.AdminKey, rawBody: """{"email":"b@example.com"}""");
        Assert.Equal("b@example.com", refilled.Body!["email"]!.GetValue<string>());
        Assert.Empty(refilled.Body["consents"]!.AsObject());
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{id}/profile"), f.AdminKey)).Status);
    }

    [Fact]
    public async Task BlockedMember_EarnsAndRedeemsNothing_SaysWhy_AndEarnsAgainOnceUnblocked()
    {
        await EnsureRulesAsync();
        var id = Unique("bl");
        await EnrolAsync(id);
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "g1-" + id });
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "block coupon", cost = "1" })).Body!["id"]!.GetValue<long>();

        var noReason = await f.Api.PostAsync(f.P($"/members/{id}/block"), f.AdminKey, new { });
        Assert.Equal("INVALID_REASON", noReason.Body!["code"]!.GetValue<string>());
        var blocked = await f.Api.PostAsync(f.P($"/members/{id}/block"), f.AdminKey, new { reason = "fraud review" });
        Assert.Equal(HttpStatusCode.OK, blocked.Status);
        Assert.Equal("fraud review", blocked.Body!["blocked"]!["reason"]!.GetValue<string>());
        Assert.Equal("fraud review", (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!["blocked"]!["reason"]!.GetValue<string>());

        var earn = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "g2-" + id });
        Assert.Equal(HttpStatusCode.Forbidden, earn.Status);
        Assert.Equal("MEMBER_BLOCKED", earn.Body!["code"]!.GetValue<string>());
        Assert.Contains("fraud review", earn.Body["detail"]!.GetValue<string>());
        var redeem = await f.Api.PostAsync(f.P($"/members/{id}/redemptions"), f.AdminKey, new { rewardId = reward }, "blocked-" + id);
        Assert.Equal(HttpStatusCode.Forbidden, redeem.Status);
        Assert.Equal("MEMBER_BLOCKED", redeem.Body!["code"]!.GetValue<string>());

        var balance = (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("7", balance["available"]!.GetValue<string>());
        Assert.Equal("0", balance["reserved"]!.GetValue<string>());
        Assert.Single((await f.Api.GetAsync(f.P($"/members/{id}/events"), f.AdminKey)).Body!["items"]!.AsArray());
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var memberId = (await db.Set<Member>().SingleAsync(m => m.ExternalId == id)).Id;
            Assert.Equal(0, await db.Set<Loyalty.Chain.Redemption.Redemption>().CountAsync(r => r.MemberId == memberId));
            var audit = Assert.Single(await db.Set<MemberBlockAudit>().Where(a => a.MemberId == memberId).ToListAsync());
            Assert.Equal(("block", "fraud review"), (audit.Action, audit.Reason));
            Assert.StartsWith("key:", audit.Actor);
        }

        var unblocked = await f.Api.PostAsync(f.P($"/members/{id}/unblock"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, unblocked.Status);
        Assert.Null(unblocked.Body!["blocked"]);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "g3-" + id })).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{id}/redemptions"), f.AdminKey, new { rewardId = reward })).Status);
    }

    [Fact]
    public async Task BlockedMember_CannotWithdrawOrLinkAWallet()
    {
        var id = Unique("bw");
        await EnrolAsync(id);
        async Task<(HttpStatusCode Status, JsonNode? Body)> LinkAsync()
        {
            var key = Nethereum.Signer.EthECKey.GenerateKey();
            var challenge = await f.Api.PostAsync(f.P($"/members/{id}/wallet/challenge"), f.AdminKey, new { address = key.GetPublicAddress() });
            var message = challenge.Body!["message"]!.GetValue<string>();
            var link = await f.Api.PostAsync(f.P($"/members/{id}/wallet/link"), f.AdminKey,
                new { message, signature = new Nethereum.Signer.EthereumMessageSigner().EncodeUTF8AndSign(message, key) });
            return (link.Status, link.Body);
        }
        Assert.Equal(HttpStatusCode.OK, (await LinkAsync()).Status);
        await f.Api.PostAsync(f.P($"/members/{id}/block"), f.AdminKey, new { reason = "chargeback" });

        var withdraw = await f.Api.PostAsync(f.P($"/members/{id}/withdrawals"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.Forbidden, withdraw.Status);
        Assert.Equal("MEMBER_BLOCKED", withdraw.Body!["code"]!.GetValue<string>());
        var relink = await LinkAsync();
        Assert.Equal(HttpStatusCode.Forbidden, relink.Status);
        Assert.Equal("MEMBER_BLOCKED", relink.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task EventLog_ShowsWhatEachEventEarned_NewestFirst_WithTypeFilterAndCursor()
    {
        await EnsureRulesAsync();
        var id = Unique("ev");
        await EnrolAsync(id);
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = id, eventId = "o1-" + id, amount = "25.00" });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "visit", memberId = id, eventId = "v1-" + id });
        var ret = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = id, eventId = "r1-" + id, orderId = "o1-" + id, amount = "5.00" });
        Assert.True(ret.Status is HttpStatusCode.Created, $"{ret.Status} {ret.Body}");

        var log = (await f.Api.GetAsync(f.P($"/members/{id}/events"), f.AdminKey)).Body!["items"]!.AsArray();
        Assert.Equal(["return", "visit", "purchase"], log.Select(e => e!["type"]!.GetValue<string>()));
        var purchase = log[2]!;
        Assert.Equal("25", purchase["points"]!.GetValue<string>());
        Assert.Equal("Matured", purchase["status"]!.GetValue<string>());
        Assert.NotEmpty(purchase["evaluation"]!.AsArray());
        Assert.Equal("0", log[1]!["points"]!.GetValue<string>());
        Assert.Equal("None", log[1]!["status"]!.GetValue<string>());
        Assert.Equal("o1-" + id, log[0]!["relatedOrderId"]!.GetValue<string>());

        var visits = (await f.Api.GetAsync(f.P($"/members/{id}/events?type=visit"), f.AdminKey)).Body!["items"]!.AsArray();
        Assert.Equal("v1-" + id, Assert.Single(visits)!["eventId"]!.GetValue<string>());
        var first = (await f.Api.GetAsync(f.P($"/members/{id}/events?limit=2"), f.AdminKey)).Body!;
        var next = (await f.Api.GetAsync(f.P($"/members/{id}/events?limit=2&cursor={first["nextCursor"]!.GetValue<string>()}"), f.AdminKey)).Body!;
        Assert.Equal("o1-" + id, Assert.Single(next["items"]!.AsArray())!["eventId"]!.GetValue<string>());
        Assert.Null(next["nextCursor"]);

        var program = (await f.Api.GetAsync(f.P("/events?limit=200"), f.AdminKey)).Body!["items"]!.AsArray();
        Assert.Contains(program, e => e!["eventId"]!.GetValue<string>() == "r1-" + id && e["memberId"]!.GetValue<string>() == id);
        var ids = program.Select(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        var future = Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(10).ToString("O"));
        Assert.Empty((await f.Api.GetAsync(f.P($"/members/{id}/events?from={future}"), f.AdminKey)).Body!["items"]!.AsArray());
        foreach (var (query, code) in new[] { ("type=Not%20A%20Type", "INVALID_FILTER"), ("from=yesterday", "INVALID_FILTER"), ("limit=0", "INVALID_LIMIT"),
                     ("cursor=" + first["nextCursor"]!.GetValue<string>() + "!", "INVALID_CURSOR"), ("cursor=ZXZlbnRzOi0x", "INVALID_CURSOR") })
        {
            var bad = await f.Api.GetAsync(f.P("/events?" + query), f.AdminKey);
            Assert.True(bad.Body?["code"]?.GetValue<string>() == code, $"{query}: {bad.Status} {bad.Body}");
        }
        var memberCursor = (await f.Api.GetAsync(f.P("/members?limit=1"), f.AdminKey)).Body!["nextCursor"]!.GetValue<string>();
        Assert.Equal("INVALID_CURSOR", (await f.Api.GetAsync(f.P($"/events?cursor={memberCursor}"), f.AdminKey)).Body!["code"]!.GetValue<string>());
    }
}
