using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The one idempotency mechanism, through the HTTP API: replay, 422, scopes per endpoint, bad keys, races.</summary>
public sealed class IdempotencyTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendRawKeyAsync(HttpMethod method, string path,
        object? body, string key)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", f.AdminKey);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        var response = await f.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    private async Task<string> MemberWithPointsAsync(long points)
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var id = Unique("idem");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        var gift = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "gift-" + id, amount = $"{points}.00" });
        Assert.Equal(HttpStatusCode.Created, gift.Status);
        return id;
    }

    private async Task<long> RewardAsync(long cost)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = Unique("reward"), cost = cost.ToString() });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return r.Body!["id"]!.GetValue<long>();
    }

    private static bool Replayed(HttpResponseMessage r) => r.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Single() == "true";

    [Fact]
    public async Task Replay_OfTheSameRequest_Returns200WithTheFirstAnswer_AndCreatesNothingMore()
    {
        var name = Unique("replayed reward");
        var body = new { type = "FreeProduct", name, cost = "5" };
        var key = Unique("k");

        var first = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body, key);
        var again = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body, key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.False(Replayed(first.Response));
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.True(Replayed(again.Response));
        Assert.Equal(first.Body!["id"]!.GetValue<long>(), again.Body!["id"]!.GetValue<long>());
        Assert.Equal(1, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId && r.Name == name)));
    }

    [Fact]
    public async Task SameKeyWithAnotherBody_Is422KeyReused_OnClaimedAndTransactionalEndpoints_AndChangesNothing()
    {
        var member = await MemberWithPointsAsync(100);
        var reward = await RewardAsync(10);
        var key = Unique("k");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = Unique("a"), cost = "5" }, key)).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, key)).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "gift", memberId = member, eventId = Unique("e"), amount = "1.00" }, key)).Status);
        var rewards = await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId));
        var redemptions = await DbAsync(db => db.Set<Redemption.Redemption>().CountAsync(r => r.ProgramId == f.ProgramId));
        var events = await DbAsync(db => db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == f.ProgramId));

        var answers = new[]
        {
            await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = Unique("b"), cost = "6" }, key),
            await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward + 0, other = 1 }, key),
            await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = Unique("e"), amount = "2.00" }, key),
        };

        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, a.Status);
            Assert.Equal("IDEMPOTENCY_KEY_REUSED", a.Body!["code"]!.GetValue<string>());
        });
        Assert.Equal(rewards, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId)));
        Assert.Equal(redemptions, await DbAsync(db => db.Set<Redemption.Redemption>().CountAsync(r => r.ProgramId == f.ProgramId)));
        Assert.Equal(events, await DbAsync(db => db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == f.ProgramId)));
    }

    [Fact]
    public async Task OneKeyOnDifferentEndpoints_IsDifferentRequests_AndNeverCollides()
    {
        var member = await MemberWithPointsAsync(100);
        var reward = await RewardAsync(10);
        var key = Unique("shared");

        // The old copies prefixed keys by hand ("drops:" + key, "redeem:" + key) in one namespace.
        var evt = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = Unique("e"), amount = "1.00" }, "drops:" + key);
        var drop = await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "Shared key drop", maxSupply = 10 }, key);
        var redeem = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, key);
        var evt2 = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = Unique("e"), amount = "1.00" }, "redeem:" + key);
        var rule = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "shared key rule", trigger = Unique("t"), effect = new { kind = "Fixed", points = 1 } }, key);

        Assert.Equal(HttpStatusCode.Created, evt.Status);
        Assert.Equal(HttpStatusCode.Created, drop.Status);
        Assert.Equal(HttpStatusCode.Created, redeem.Status);
        Assert.Equal(HttpStatusCode.Created, evt2.Status);
        Assert.Equal(HttpStatusCode.Created, rule.Status);
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("two words")]
    public async Task EmptyOverlongOrSpacedKey_Is400InvalidIdempotencyKey_Everywhere_AndChangesNothing(string key)
    {
        // The test client drops a header whose value is empty; blanks reach the server as the empty value, and the check is one.
        Assert.Equal("INVALID_IDEMPOTENCY_KEY", Assert.Throws<LoyaltyException>(() => Idempotency.IdempotencyStore.ValidateKey("")).Code);
        var member = await MemberWithPointsAsync(100);
        var reward = await RewardAsync(10);
        var keys = new[] { key, new string('k', 201) };
        foreach (var k in keys)
        {
            var before = await CountsAsync();
            var answers = new[]
            {
                await SendRawKeyAsync(HttpMethod.Post, f.P("/events"), new { type = "gift", memberId = member, eventId = Unique("e"), amount = "1.00" }, k),
                await SendRawKeyAsync(HttpMethod.Post, f.P($"/members/{member}/redemptions"), new { rewardId = reward }, k),
                await SendRawKeyAsync(HttpMethod.Post, f.P("/rewards"), new { name = Unique("r"), cost = "5" }, k),
                await SendRawKeyAsync(HttpMethod.Post, f.P("/members"), new { externalId = Unique("m") }, k),
                await SendRawKeyAsync(HttpMethod.Post, f.P("/drops"), new { name = "d", maxSupply = 1 }, k),
            };
            Assert.All(answers, a =>
            {
                Assert.Equal(HttpStatusCode.BadRequest, a.Status);
                Assert.Equal("INVALID_IDEMPOTENCY_KEY", a.Body!["code"]!.GetValue<string>());
            });
            Assert.Equal(before, await CountsAsync());
        }
    }

    private Task<(int, int, int, int, int, int)> CountsAsync() => DbAsync(async db => (
        await db.Set<LoyaltyEvent>().CountAsync(), await db.Set<Redemption.Redemption>().CountAsync(), await db.Set<Reward>().CountAsync(),
        await db.Set<Members.Member>().CountAsync(), await db.Set<Collectibles.Drop>().CountAsync(), await db.Set<IdempotencyRecord>().CountAsync()));

    [Fact]
    public async Task ConcurrentRequestsWithOneKey_HaveOneWinner_AndNoServerError()
    {
        var member = await MemberWithPointsAsync(1000);
        var reward = await RewardAsync(10);
        var name = Unique("raced reward");
        var externalId = Unique("raced-member");
        var (rewardKey, redeemKey, enrolKey) = (Unique("race"), Unique("race"), Unique("race"));

        var rewardsTask = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name, cost = "5" }, rewardKey)));
        var redeemTask = Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, redeemKey)));
        var enrolTask = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId }, enrolKey)));
        var all = (await rewardsTask).Concat(await redeemTask).Concat(await enrolTask).ToList();

        Assert.All(all, a => Assert.True((int)a.Status < 500, $"{a.Status} {a.Body}"));
        foreach (var group in new[] { await rewardsTask, await redeemTask, await enrolTask })
        {
            Assert.Single(group, a => a.Status == HttpStatusCode.Created);
            // The losers replay the winner's answer, or are told the winner is still running.
            Assert.All(group.Where(a => a.Status != HttpStatusCode.Created), a => Assert.True(
                (a.Status == HttpStatusCode.OK && Replayed(a.Response))
                || (a.Status == HttpStatusCode.Conflict && a.Body!["code"]!.GetValue<string>() == "IDEMPOTENCY_KEY_IN_PROGRESS"), $"{a.Status} {a.Body}"));
        }
        Assert.Equal(1, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId && r.Name == name)));
        Assert.Equal(1, await DbAsync(db => db.Set<Redemption.Redemption>().CountAsync(r => r.ProgramId == f.ProgramId && r.RewardId == reward)));
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("10", balance["reserved"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReplayOfANewApiKey_DoesNotShowTheKeyAgain_AndNoKeyIsStoredInPlaintext()
    {
        var key = Unique("k");
        var first = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "till 7" }, key);
        var again = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "till 7" }, key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        var plaintext = first.Body!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(first.Body["id"]!.GetValue<long>(), again.Body!["id"]!.GetValue<long>());
        Assert.Null(again.Body["key"]);
        Assert.False(await DbAsync(db => db.Set<IdempotencyRecord>().AnyAsync(r => r.ResponseBody.Contains(plaintext))));
    }

    [Fact]
    public async Task RefusedRequest_ReleasesItsKey_ForTheCorrectedRequest()
    {
        var key = Unique("k");
        var refused = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = "fixed later", cost = "-1" }, key);
        var corrected = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = "fixed later", cost = "1" }, key);

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(HttpStatusCode.Created, corrected.Status);
    }

    /// <summary>
    /// A claim whose request died after its change committed (here: the completed record put back to an open claim two
    /// minutes old) must not be taken over: that would create the reward a second time.
    /// </summary>
    [Fact]
    public async Task AbandonedClaim_IsNeverTakenOver_TheRetryIsTold409OutcomeUnknown_AndNothingRunsTwice()
    {
        var key = Unique("k");
        var name = Unique("crashed reward");
        var body = new { type = "FreeProduct", name, cost = "3" };
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body, key)).Status);
        await DbAsync(db => db.Set<IdempotencyRecord>().Where(r => r.ProgramId == f.ProgramId && r.Key == key)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.StatusCode, IdempotencyRecord.InProgress).SetProperty(r => r.ResponseBody, "")
                .SetProperty(r => r.CreatedAt, DateTime.UtcNow.AddMinutes(-3))));

        var retry = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body, key);

        Assert.Equal(HttpStatusCode.Conflict, retry.Status);
        Assert.Equal("IDEMPOTENCY_OUTCOME_UNKNOWN", retry.Body!["code"]!.GetValue<string>());
        Assert.Equal(1, await DbAsync(db => db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId && r.Name == name)));
    }

    /// <summary>
    /// Exports and attestations produce a document and change nothing; a stored replay would keep key material or a
    /// signature in the database, so they take no key.
    /// </summary>
    private static readonly string[] WithoutIdempotency =
        ["/wallet/export", "/custody/seed-export", "/attestations", "/coupons/{code}/validate", "/rules/dry-run",
         // Sign-in mints a fresh session secret per call; a stored replay would keep a live CSRF token and set no cookie.
         "/v1/member-sessions", "/v1/member-sessions/", "/v1/member-sessions/current", "/v1/member-sessions/siwe/challenge", "/v1/member-sessions/siwe",
         // A KEK rewrap resumes where the last call stopped; a replayed summary would hide the rows still left.
         "/custody/rewrap",
         // The sunset's metadata zip is a read; a keystore claim hands out key material (audited), never stored for replay.
         "/sunset/metadata-export", "/wallet/claim"];

    [Fact]
    public void EveryMutatingEndpoint_DeclaresItsOwnIdempotencyScope()
    {
        var endpoints = f.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE") == true)
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/hangfire"))
            .ToList();
        Assert.NotEmpty(endpoints);
        var scopes = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!;
            var scope = endpoint.Metadata.FirstOrDefault(m => m.GetType().Name == "IdempotencyScope");
            if (WithoutIdempotency.Any(route.EndsWith)) { Assert.Null(scope); continue; }
            Assert.True(scope is not null, $"{route} takes no Idempotency-Key");
            scopes.Add((string)scope.GetType().GetProperty("Name")!.GetValue(scope)!);
        }
        Assert.Equal(scopes.Count, scopes.Distinct().Count());
    }
}
