using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Every program endpoint × every kind of caller: no key (401), another program's admin key (403), a role that
/// may not (403), a member token of another member (403), and the allowed roles (never 401/403). No denied call
/// returns data.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationMatrixTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private sealed record Endpoint(string Method, string Path, object? Body, params string[] Allowed);

    private Endpoint[] Endpoints(string m) =>
    [
        new("GET", "", null, "admin", "shop", "partner"),
        new("GET", "/api-keys", null, "admin"),
        new("POST", "/api-keys", new { role = "partner" }, "admin"),
        new("POST", "/members", new { externalId = "matrix-new" }, "admin", "shop"),
        new("GET", $"/members/{m}", null, "admin", "shop", "member"),
        new("GET", $"/members/{m}/history", null, "admin", "shop", "member"),
        new("POST", $"/members/{m}/tokens", null, "admin", "shop"),
        new("POST", "/events", new { type = "visit", memberId = m, eventId = "matrix-visit" }, "admin", "shop"),
        new("GET", "/rules", null, "admin"),
        new("POST", "/rules", new { name = "matrix", trigger = "visit", effect = new { kind = "Fixed", points = 1 } }, "admin"),
        new("GET", "/settlement", null, "admin"),
        new("POST", "/settlement/run", null, "admin"),
        new("GET", "/reconciliation", null, "admin"),
        new("GET", "/rewards", null, "admin", "shop"),
        new("POST", "/rewards", new { name = "matrix", cost = "1" }, "admin"),
        new("POST", $"/members/{m}/redemptions", new { rewardId = 999999 }, "admin", "shop", "member"),
        new("POST", $"/members/{m}/wallet/challenge", new { address = "0x0000000000000000000000000000000000000001" }, "admin", "shop", "member"),
        new("POST", $"/members/{m}/withdrawals", null, "admin", "shop", "member"),
        new("POST", $"/members/{m}/wallet/export", new { password = "short" }, "admin"),
        new("POST", "/custody/seed-export", new { password = "short" }, "admin"),
        new("GET", "/redemptions/999999", null, "admin", "shop"),
        new("POST", "/attestations", new { address = "0x0000000000000000000000000000000000000001" }, "admin", "partner"),
    ];

    [Fact]
    public async Task EveryEndpoint_ForEveryCaller_IsAllowedOrRefusedAsSpecified()
    {
        var m = "matrix-member";
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m });
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "matrix-other" });
        var keys = new Dictionary<string, string>
        {
            ["admin"] = f.AdminKey,
            ["shop"] = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>(),
            ["partner"] = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "partner" })).Body!["key"]!.GetValue<string>(),
        };
        var memberToken = (await f.Api.PostAsync(f.P($"/members/{m}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var otherMemberToken = (await f.Api.PostAsync(f.P("/members/matrix-other/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var otherProgram = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "Other brand", pointName = "Other", pointSymbol = "OTH", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 });
        var otherAdmin = otherProgram.Body!["adminKey"]!.GetValue<string>();

        var failures = new List<string>();
        foreach (var e in Endpoints(m))
        {
            async Task Expect(string caller, Func<HttpRequestMessage, HttpRequestMessage> auth, params HttpStatusCode[] expected)
            {
                var request = auth(new HttpRequestMessage(new HttpMethod(e.Method), f.P(e.Path)));
                if (e.Body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(e.Body);
                var response = await f.Api.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (expected.Length > 0 && !expected.Contains(response.StatusCode))
                    failures.Add($"{e.Method} {e.Path} as {caller}: {(int)response.StatusCode}, expected {string.Join("/", expected.Select(x => (int)x))}");
                if (expected.Length == 0 && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    failures.Add($"{e.Method} {e.Path} as {caller}: refused ({(int)response.StatusCode}) but the role is allowed: {body}");
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && !body.Contains("\"code\""))
                    failures.Add($"{e.Method} {e.Path} as {caller}: refusal without problem details");
            }

            await Expect("no key", r => r, HttpStatusCode.Unauthorized);
            await Expect("unknown key", r => { r.Headers.Add("X-Api-Key", "lc_admin_nope"); return r; }, HttpStatusCode.Unauthorized);
            await Expect("other program's admin", r => { r.Headers.Add("X-Api-Key", otherAdmin); return r; }, HttpStatusCode.Forbidden);
            foreach (var (role, key) in keys)
            {
                if (e.Allowed.Contains(role)) await Expect(role, r => { r.Headers.Add("X-Api-Key", key); return r; });
                else await Expect(role, r => { r.Headers.Add("X-Api-Key", key); return r; }, HttpStatusCode.Forbidden);
            }
            if (e.Allowed.Contains("member"))
            {
                await Expect("member", r => { r.Headers.Authorization = new("Bearer", memberToken); return r; });
                await Expect("another member", r => { r.Headers.Authorization = new("Bearer", otherMemberToken); return r; }, HttpStatusCode.Forbidden);
            }
            else
            {
                await Expect("member", r => { r.Headers.Authorization = new("Bearer", memberToken); return r; }, HttpStatusCode.Forbidden);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task RevokedKey_IsRefusedWith401()
    {
        var created = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "to revoke" });
        var key = created.Body!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await f.Api.GetAsync(f.P("/rewards"), key)).Status);
        Assert.Equal(HttpStatusCode.NoContent,
            (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/api-keys/{created.Body["id"]!.GetValue<long>()}"), f.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Api.GetAsync(f.P("/rewards"), key)).Status);
    }
}
