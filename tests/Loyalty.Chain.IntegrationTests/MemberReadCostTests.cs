using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program with a return window (pending points), whose host counts each marked request's SQL commands.</summary>
public sealed class CountingProgramFixture : ProgramFixture
{
    public SqlStatementCounter Sql { get; } = new();
    protected override long PendingPeriodSeconds => 3600;
    protected override Action<IServiceCollection>? TestServices => Sql.Register;
}

/// <summary>
/// Issue 16's member read: what GET member costs in database round trips, which does not depend on the machine's load
/// (the bench's latency does). The program has everything the answer shows: fixed expiry, a tier policy, pending and
/// available points.
/// </summary>
public sealed class MemberReadCostTests(CountingProgramFixture f, ITestOutputHelper output) : IClassFixture<CountingProgramFixture>
{
    [Fact]
    public async Task GetMember_WithTiersExpiryAndPendingPoints_RunsThreeReadsAndNoWrite()
    {
        var policies = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new
        {
            expiry = new { policy = "fixed", months = 12, roundToMonthEnd = true },
            tiers = new
            {
                metric = "points_earned", window = "calendar_year", downgrade = "at_period_end",
                levels = new object[] { new { name = "Bronze", threshold = "0" }, new { name = "Silver", threshold = "500" } },
            },
        });
        Assert.True(policies.Status == HttpStatusCode.OK, policies.Body?.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
            new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
        var shopKey = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>();
        var m = "read-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m })).Status);
        var purchase = await f.Api.PostAsync(f.P("/events"), shopKey, new { type = "purchase", memberId = m, eventId = "o-" + m, amount = "49.90" });
        Assert.True(purchase.Status == HttpStatusCode.Created, purchase.Body?.ToJsonString());
        var grant = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, new { type = "grant", points = "20", reason = "goodwill" }, "g-" + m);
        Assert.True(grant.Status == HttpStatusCode.Created, grant.Body?.ToJsonString());

        // The program is cached for 5 s: a loaded machine can take longer than that between the set-up calls and the
        // counted read, which then also loads the program. A read just before it puts the program in the cache.
        Assert.Equal(HttpStatusCode.OK, (await f.Api.GetAsync(f.P($"/members/{m}"), shopKey)).Status);
        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{m}"));
        request.Headers.Add("X-Api-Key", shopKey);
        request.Headers.Add(SqlStatementCounter.Header, "read-" + m);
        var response = await f.Api.Http.SendAsync(request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());

        Assert.Equal("49", body["balance"]!["pending"]!.GetValue<string>());
        Assert.Equal("20", body["balance"]!["available"]!.GetValue<string>());
        Assert.Equal("49", body["pendingLots"]![0]!["amount"]!.GetValue<string>());
        Assert.Equal("Bronze", body["tierStatus"]!["current"]!.GetValue<string>());
        Assert.Equal("Silver", body["tierStatus"]!["next"]!.GetValue<string>());
        Assert.NotNull(body["tierStatus"]!["value"]);
        Assert.Empty(body["expiringSoon"]!.AsArray());

        var commands = f.Sql.Commands("read-" + m);
        output.WriteLine($"GET member: {commands.Count} SQL commands");
        foreach (var c in commands) output.WriteLine(c.ReplaceLineEndings(" "));
        // The member with balance, tier state, policy and buckets; the lots expiring soon; the pending lots. Before: eight.
        Assert.True(commands.Count <= 3, $"GET member ran {commands.Count} SQL commands:\n{string.Join("\n---\n", commands)}");
        Assert.DoesNotContain(commands, c => c.TrimStart().StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
                                             || c.TrimStart().StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
                                             || c.TrimStart().StartsWith("DELETE", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task GetMember_OfUnknownMember_Is404UnknownMember()
    {
        var r = await f.Api.GetAsync(f.P("/members/nobody-" + Guid.NewGuid().ToString("N")[..8]), f.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, r.Status);
        Assert.Equal("UNKNOWN_MEMBER", r.Body!["code"]!.GetValue<string>());
    }
}
