using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Access;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The hostile inputs the outside review sent: each is a 4xx with a stable code and changes nothing.</summary>
public sealed class BadInputTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    private Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> RawAsync(string path, string json) =>
        f.Api.SendAsync(HttpMethod.Post, path, f.AdminKey, rawBody: json);

    private async Task<string> EnrolAsync()
    {
        var id = Unique("bad");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return id;
    }

    private static void AssertRefused((HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response) answer, string code,
        HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        Assert.True(answer.Status == status, $"{answer.Status} {answer.Body}");
        Assert.Equal(code, answer.Body!["code"]!.GetValue<string>());
    }

    private Task<int> EventsAsync() => DbAsync(db => db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == f.ProgramId));

    [Fact]
    public async Task EventWithANullLine_Is400InvalidLine_AndChangesNothing()
    {
        var member = await EnrolAsync();
        var before = await EventsAsync();

        var answer = await RawAsync(f.P("/events"), $$"""{"type":"purchase","memberId":"{{member}}","eventId":"{{Unique("o")}}","amount":"10.00","lines":[null]}""");

        AssertRefused(answer, "INVALID_LINE");
        Assert.Equal(before, await EventsAsync());
    }

    [Fact]
    public async Task CouponUploadWithANullCode_Is400InvalidCoupons_AndChangesNothing()
    {
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = Unique("pool"), cost = "5" });
        var id = reward.Body!["id"]!.GetValue<long>();

        var answer = await RawAsync(f.P($"/rewards/{id}/coupons"), """{"codes":["a",null]}""");

        AssertRefused(answer, "INVALID_COUPONS");
        Assert.Equal(0, await DbAsync(db => db.Set<CouponCode>().CountAsync(c => c.RewardId == id)));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task IdsWithATrailingNewline_AreRefused_AndCreateNoMemberOrEvent(string tail)
    {
        var id = Unique("trail");
        var members = await DbAsync(db => db.Set<Member>().CountAsync(m => m.ProgramId == f.ProgramId));

        var enrol = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id + tail });
        var member = await EnrolAsync();
        var before = await EventsAsync();
        var evt = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = "o" + tail, amount = "1.00" });
        var memberTail = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member + tail, eventId = Unique("o"), amount = "1.00" });

        AssertRefused(enrol, "INVALID_ID");
        AssertRefused(evt, "INVALID_ID");
        AssertRefused(memberTail, "INVALID_ID");
        Assert.Equal(members + 1, await DbAsync(db => db.Set<Member>().CountAsync(m => m.ProgramId == f.ProgramId)));
        Assert.Equal(before, await EventsAsync());
    }

    [Theory]
    [InlineData("\"10.\"")]
    [InlineData("\".5\"")]
    [InlineData("\"10\\u0000\"")]
    [InlineData("\"1e3\"")]
    [InlineData("1e3")]
    [InlineData("1E+2")]
    [InlineData("\"0x10\"")]
    [InlineData("\" 10\"")]
    [InlineData("\"10 \"")]
    [InlineData("\"+10\"")]
    [InlineData("\"1,000\"")]
    [InlineData("\"١٠\"")]
    [InlineData("\"99999999999999999999999\"")]
    public async Task MalformedAmount_IsInvalidAmount_OnEventsAndRewardCosts(string amount)
    {
        var member = await EnrolAsync();
        var before = await EventsAsync();
        var rewards = await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId));

        var evt = await RawAsync(f.P("/events"), $$"""{"type":"purchase","memberId":"{{member}}","eventId":"{{Unique("o")}}","amount":{{amount}}}""");
        var line = await RawAsync(f.P("/events"),
            $$"""{"type":"purchase","memberId":"{{member}}","eventId":"{{Unique("o")}}","amount":"1.00","lines":[{"sku":"a","amount":{{amount}}}]}""");
        var cost = amount.StartsWith('"') ? await RawAsync(f.P("/rewards"), $$"""{"name":"n","cost":{{amount}}}""") : default;

        AssertRefused(evt, "INVALID_AMOUNT");
        AssertRefused(line, "INVALID_AMOUNT");
        // NUL in any request string is refused while the body is read (PostgreSQL cannot store it): MALFORMED_JSON there.
        if (cost.Body is not null) AssertRefused(cost, amount.Contains("\\u0000") ? "MALFORMED_JSON" : "INVALID_AMOUNT");
        Assert.Equal(before, await EventsAsync());
        Assert.Equal(rewards, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId)));
    }

    [Fact]
    public async Task WellFormedAmounts_StillParse()
    {
        var member = await EnrolAsync();
        foreach (var amount in new[] { "\"10\"", "\"10.5\"", "\"0.01\"", "12.34", "7" })
        {
            var evt = await RawAsync(f.P("/events"), $$"""{"type":"purchase","memberId":"{{member}}","eventId":"{{Unique("o")}}","amount":{{amount}}}""");
            Assert.True(evt.Status == HttpStatusCode.Created, $"{amount}: {evt.Status} {evt.Body}");
        }
    }

    [Fact]
    public async Task EventWhoseAwardExceedsInt64_Is422AwardTooLarge_AndChangesNothing()
    {
        var trigger = Unique("huge");
        foreach (var name in new[] { "max one", "max two" })
        {
            var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name, trigger, effect = new { kind = "Fixed", points = long.MaxValue } });
            Assert.Equal(HttpStatusCode.Created, rule.Status);
        }
        var member = await EnrolAsync();
        var before = await EventsAsync();

        var answer = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = Unique("e") });

        AssertRefused(answer, "AWARD_TOO_LARGE", HttpStatusCode.UnprocessableEntity);
        Assert.Equal(before, await EventsAsync());
        Assert.Equal("0", (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>());
        foreach (var rule in (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray().Where(r => r!["trigger"]!.GetValue<string>() == trigger))
            await f.Api.SendAsync(HttpMethod.Delete, f.P($"/rules/{rule!["id"]}"), f.AdminKey);
    }

    [Theory]
    [InlineData("99")]
    [InlineData("6")] // Donation's number: named values only
    [InlineData("\"99\"")]
    [InlineData("0")]
    [InlineData("\"0\"")]
    [InlineData("\"FreeProduct, Experience\"")]
    public async Task RewardWithAnUnnamedType_Is400AndIsNotStored(string type)
    {
        var name = Unique("typed");
        var answer = await RawAsync(f.P("/rewards"), $$"""{"type":{{type}},"name":"{{name}}","cost":"5"}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.NotNull(answer.Body!["code"]);
        Assert.Equal(0, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.Name == name)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("3")]
    [InlineData("shop, admin")]
    [InlineData("member")]
    [InlineData(" admin")]
    public async Task ApiKeyWithANumericOrCompositeRole_Is400InvalidRole_AndCreatesNoKey(string role)
    {
        var keys = await DbAsync(db => db.Set<ApiKey>().CountAsync(k => k.ProgramId == f.ProgramId));

        var answer = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role, name = "numeric" });

        AssertRefused(answer, "INVALID_ROLE");
        Assert.Equal(keys, await DbAsync(db => db.Set<ApiKey>().CountAsync(k => k.ProgramId == f.ProgramId)));
    }

    [Fact]
    public async Task ApiKeyWithANamedRole_IsCreated()
    {
        var answer = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "Shop", name = "named" });
        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.Equal("shop", answer.Body!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task CollectibleRewardOnADropOfAnotherProgram_Is404UnknownDrop_AndIsNotStored()
    {
        var (otherId, otherKey) = await f.CreateOtherProgramAsync("Other Brand", "STAR");
        var drop = await f.Api.PostAsync($"/v1/programs/{otherId}/drops", otherKey, new { name = "Their drop", maxSupply = 5 });
        Assert.Equal(HttpStatusCode.Created, drop.Status);
        var dropId = drop.Body!["id"]!.GetValue<long>();
        var name = Unique("foreign");

        var answer = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "Collectible", name, cost = "5", dropId });
        var missing = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "Collectible", name, cost = "5", dropId = 987654321 });

        AssertRefused(answer, "UNKNOWN_DROP", HttpStatusCode.NotFound);
        AssertRefused(missing, "UNKNOWN_DROP", HttpStatusCode.NotFound);
        Assert.Equal(0, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.Name == name)));
    }

    [Fact]
    public async Task NullAttributeValues_AreRefused_OnMembersRulesAndDropAudiences_AndStoreNothing()
    {
        var members = await DbAsync(db => db.Set<Member>().CountAsync(m => m.ProgramId == f.ProgramId));
        var rules = await DbAsync(db => db.Set<Earning.EarningRule>().CountAsync(r => r.ProgramId == f.ProgramId));
        var drops = await DbAsync(db => db.Set<Collectibles.Drop>().CountAsync(d => d.ProgramId == f.ProgramId));

        var member = await RawAsync(f.P("/members"), "{\"externalId\":\"" + Unique("nullattr") + "\",\"attributes\":{\"a\":null}}");
        var rule = await RawAsync(f.P("/rules"), """{"name":"n","trigger":"t","conditions":{"attributes":{"a":null}},"effect":{"kind":"Fixed","points":1}}""");
        var drop = await RawAsync(f.P("/drops"), """{"name":"n","maxSupply":1,"audience":{"kind":"Rule","attributes":{"a":null}}}""");

        // Refused while reading (string converter) or by the profile check: either way a 400 with a code.
        Assert.Equal(HttpStatusCode.BadRequest, member.Status);
        Assert.Contains(member.Body!["code"]!.GetValue<string>(), new[] { "INVALID_PROFILE", "MALFORMED_JSON" });
        Assert.Equal(HttpStatusCode.BadRequest, rule.Status);
        Assert.Contains(rule.Body!["code"]!.GetValue<string>(), new[] { "INVALID_RULE", "MALFORMED_JSON" });
        Assert.Equal(HttpStatusCode.BadRequest, drop.Status);
        Assert.NotNull(drop.Body!["code"]);
        Assert.Equal(members, await DbAsync(db => db.Set<Member>().CountAsync(m => m.ProgramId == f.ProgramId)));
        Assert.Equal(rules, await DbAsync(db => db.Set<Earning.EarningRule>().CountAsync(r => r.ProgramId == f.ProgramId)));
        Assert.Equal(drops, await DbAsync(db => db.Set<Collectibles.Drop>().CountAsync(d => d.ProgramId == f.ProgramId)));
    }

    [Fact]
    public async Task NulOrControlCharacters_AreRefused_InCouponCodesAndAnyRequestString_AndStoreNothing()
    {
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = Unique("nul pool"), cost = "5" });
        var id = reward.Body!["id"]!.GetValue<long>();
        var name = Unique("nul");

        var codes = await RawAsync(f.P($"/rewards/{id}/coupons"), "{\"codes\":[\"ok-1\",\"bad\\u0000\"]}");
        var tab = await RawAsync(f.P($"/rewards/{id}/coupons"), "{\"codes\":[\"ok-2\",\"b\\u0007d\"]}");
        var nul = await RawAsync(f.P("/rewards"), "{\"name\":\"" + name + "\\u0000\",\"cost\":\"5\"}");

        AssertRefused(codes, codes.Status == HttpStatusCode.BadRequest && codes.Body!["code"]!.GetValue<string>() == "MALFORMED_JSON" ? "MALFORMED_JSON" : "INVALID_COUPONS");
        AssertRefused(tab, "INVALID_COUPONS");
        AssertRefused(nul, "MALFORMED_JSON");
        Assert.Equal(0, await DbAsync(db => db.Set<CouponCode>().CountAsync(c => c.RewardId == id)));
        Assert.Equal(0, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.Name.StartsWith(name))));
    }
}
