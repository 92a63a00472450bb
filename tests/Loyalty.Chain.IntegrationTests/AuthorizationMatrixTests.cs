using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Every endpoint of the route table × every kind of caller: no key and an unknown key (401), another program's
/// admin (403), the root key, each program role, the member's own token and another member's token. Allowed
/// callers are never refused; the others are refused with a coded problem and no data. An endpoint missing
/// from the matrix fails the test, so a new route cannot ship without its roles being decided here.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class AuthorizationMatrixTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    /// <summary><paramref name="Route"/> is the template as the route table has it; "public" allows anyone, "root" only the deployment admin.</summary>
    private sealed record Endpoint(string Method, string Route, string Path, object? Body, params string[] Allowed);

    private const string P = "/v1/programs/{programId:long}";
    private const string Address = "0x0000000000000000000000000000000000000001";

    private Endpoint[] Endpoints(string m, long r) =>
    [
        new("GET", "/health", "/health", null, "public"),
        new("GET", "/portal/{**rest}", "/portal/", null, "public"),
        new("GET", "/console/{**rest}", "/console/", null, "public"),
        new("GET", "/till/{**rest}", "/till/", null, "public"),
        new("GET", "/health/live", "/health/live", null, "public"),
        // Member sessions: the credential is the member token or SIWE signature in the body, or the session cookie;
        // an API key is no credential there ("session": every caller here, having no session, gets 401).
        new("POST", "/v1/member-sessions", "/v1/member-sessions", new { token = "lcm_nope" }, "session"),
        new("GET", "/v1/member-sessions/current", "/v1/member-sessions/current", null, "session"),
        new("DELETE", "/v1/member-sessions/current", "/v1/member-sessions/current", null, "session"),
        new("POST", "/v1/member-sessions/siwe/challenge", "/v1/member-sessions/siwe/challenge", new { programId = f.ProgramId, address = Address }, "public"),
        new("POST", "/v1/member-sessions/siwe", "/v1/member-sessions/siwe", new { programId = f.ProgramId, message = "hello", signature = "0x00" }, "public"),
        new("GET", "/health/ready", "/health/ready", null, "public"),
        new("GET", "/metrics", "/metrics", null, "root"),
        new("GET", "/openapi/{documentName}.json", "/openapi/v1.json", null, "public"),
        new("GET", "/docs/{documentName?}", "/docs", null, "public"),
        new("GET", "/docs/scalar.js", "/docs/scalar.js", null, "public"),
        new("GET", "/docs/scalar.aspnetcore.js", "/docs/scalar.aspnetcore.js", null, "public"),
        new("GET", "/docs/favicon.svg", "/docs/favicon.svg", null, "public"),
        new("GET", "/v1/public/programs/{programId:long}/balances/{address}", $"/v1/public/programs/{f.ProgramId}/balances/{Address}", null, "public"),
        new("GET", "/v1/public/portal-config", "/v1/public/portal-config", null, "public"),
        new("GET", "/v1/public/programs/{programId:long}/attestation-key", $"/v1/public/programs/{f.ProgramId}/attestation-key", null, "public"),
        new("GET", "/v1/public/metadata/{programId:long}/{dropId:long}/{tokenId}", $"/v1/public/metadata/{f.ProgramId}/999999/1", null, "public"),
        new("GET", "/v1/public/drops/{programId:long}/{dropId:long}/image", $"/v1/public/drops/{f.ProgramId}/999999/image", null, "public"),
        new("POST", "/v1/programs", "/v1/programs", new { }, "root"),
        // Any valid credential learns its own role and program (a key of another program sees its own).
        new("GET", "/v1/me", "/v1/me", null, "other", "admin", "shop", "partner", "member", "anymember"),
        new("GET", "/v1/admin/chain-txs", "/v1/admin/chain-txs", null, "root"),
        new("GET", "/v1/admin/chain-txs/{id:long}", "/v1/admin/chain-txs/999999", null, "root"),
        new("GET", "/v1/admin/alerts", "/v1/admin/alerts", null, "root"),
        new("GET", "/v1/admin/operator", "/v1/admin/operator", null, "root"),
        new("POST", "/v1/admin/recovery/reorg", "/v1/admin/recovery/reorg", new { }, "root"),
        new("GET", "/v1/admin/custody/rewrap", "/v1/admin/custody/rewrap", null, "root"),
        new("POST", "/v1/admin/custody/rewrap", "/v1/admin/custody/rewrap", new { batchSize = 1 }, "root"),
        new("GET", P, "", null, "admin", "shop", "partner"),
        new("PATCH", P, "", new { name = "Fixture Coffee" }, "admin"),
        new("POST", P + "/pause", "/pause", null, "admin"),
        new("POST", P + "/resume", "/resume", null, "admin"),
        new("GET", P + "/ownership", "/ownership", null, "admin"),
        // A bad address: an allowed caller gets 400 INVALID_ADDRESS, and the fixture's program is not handed over.
        new("POST", P + "/ownership", "/ownership", new { newAdmin = "0x123" }, "admin"),
        new("POST", P + "/minter/rotate", "/minter/rotate", null, "admin"),
        new("GET", P + "/members", "/members", null, "admin", "shop"),
        new("PATCH", P + "/members/{memberId}", $"/members/{m}", new { consents = new { sms = true } }, "admin", "member"),
        new("POST", P + "/members/{memberId}/block", "/members/matrix-erased/block", new { reason = "matrix" }, "admin"),
        new("POST", P + "/members/{memberId}/unblock", "/members/matrix-erased/unblock", null, "admin"),
        new("GET", P + "/members/{memberId}/events", $"/members/{m}/events", null, "admin", "shop", "member"),
        new("GET", P + "/events", "/events", null, "admin", "shop"),
        new("POST", P + "/coupons/{code}/validate", "/coupons/NOPE/validate", null, "admin", "shop"),
        new("POST", P + "/coupons/{code}/use", "/coupons/NOPE/use", null, "admin", "shop"),
        new("POST", P + "/expiry/run", "/expiry/run", null, "admin"),
        new("GET", P + "/api-keys", "/api-keys", null, "admin"),
        new("POST", P + "/api-keys", "/api-keys", new { role = "partner" }, "admin"),
        new("DELETE", P + "/api-keys/{keyId:long}", "/api-keys/999999", null, "admin"),
        new("POST", P + "/members", "/members", new { externalId = "matrix-new" }, "admin", "shop"),
        new("GET", P + "/members/{memberId}", $"/members/{m}", null, "admin", "shop", "member"),
        new("GET", P + "/members/{memberId}/history", $"/members/{m}/history", null, "admin", "shop", "member"),
        new("POST", P + "/members/{memberId}/tokens", $"/members/{m}/tokens", null, "admin"),
        new("POST", P + "/members/{memberId}/adjustments", $"/members/{m}/adjustments", new { type = "grant", points = "1", reason = "matrix" }, "admin"),
        new("GET", P + "/members/{memberId}/adjustments", $"/members/{m}/adjustments", null, "admin", "shop", "member"),
        new("GET", P + "/members/{memberId}/export", $"/members/{m}/export", null, "admin", "member"),
        new("DELETE", P + "/members/{memberId}/profile", "/members/matrix-erased/profile", null, "admin"),
        new("POST", P + "/members/{memberId}/forget", "/members/matrix-forgotten/forget", null, "admin"),
        new("GET", P + "/members/{memberId}/collectibles", $"/members/{m}/collectibles", null, "admin", "shop", "member"),
        new("POST", P + "/events", "/events", new { type = "visit", memberId = m, eventId = "matrix-visit" }, "admin", "shop"),
        new("GET", P + "/rules", "/rules", null, "admin"),
        new("POST", P + "/rules", "/rules", new { name = "matrix", trigger = "visit", effect = new { kind = "Fixed", points = 1 } }, "admin"),
        new("PUT", P + "/rules/{ruleId:long}", "/rules/999999", new { name = "matrix", trigger = "visit", effect = new { kind = "Fixed", points = 1 } }, "admin"),
        new("DELETE", P + "/rules/{ruleId:long}", "/rules/999999", null, "admin"),
        new("POST", P + "/rules/dry-run", "/rules/dry-run", new { @event = new { type = "visit", memberId = m } }, "admin"),
        new("GET", P + "/settlement", "/settlement", null, "admin"),
        new("POST", P + "/settlement/run", "/settlement/run", null, "admin"),
        new("GET", P + "/reconciliation", "/reconciliation", null, "admin"),
        new("POST", P + "/reconciliation", "/reconciliation", null, "admin"),
        new("GET", P + "/rewards", "/rewards", null, "admin", "shop"),
        new("POST", P + "/rewards", "/rewards", new { name = "matrix", cost = "1" }, "admin"),
        new("POST", P + "/rewards/{rewardId:long}/coupons", "/rewards/999999/coupons", new { codes = new[] { "A" } }, "admin"),
        new("POST", P + "/members/{memberId}/redemptions", $"/members/{m}/redemptions", new { rewardId = 999999 }, "admin", "shop", "member"),
        new("GET", P + "/redemptions/{redemptionId:long}", $"/redemptions/{r}", null, "admin", "shop", "member"),
        new("POST", P + "/redemptions/{redemptionId:long}/signature", $"/redemptions/{r}/signature", new { signature = "0x00" }, "admin", "shop", "member"),
        new("POST", P + "/redemptions/{redemptionId:long}/cancel", $"/redemptions/{r}/cancel", null, "admin", "shop", "member"),
        new("POST", P + "/redemptions/{redemptionId:long}/void", "/redemptions/999999/void", null, "admin"),
        new("POST", P + "/members/{memberId}/wallet/challenge", $"/members/{m}/wallet/challenge", new { address = Address }, "admin", "shop", "member"),
        new("POST", P + "/members/{memberId}/wallet/link", $"/members/{m}/wallet/link", new { }, "admin", "member"),
        new("POST", P + "/members/{memberId}/withdrawals", $"/members/{m}/withdrawals", null, "admin", "member"),
        new("GET", P + "/audit/asset-moves", "/audit/asset-moves", null, "admin"),
        new("POST", P + "/members/{memberId}/wallet/export", $"/members/{m}/wallet/export", new { password = "short" }, "admin"),
        new("POST", P + "/custody/seed-export", "/custody/seed-export", new { password = "short" }, "admin"),
        // Sunset: bodies that are refused after authorization, so the shared program is never actually sunset here.
        new("POST", P + "/sunset", "/sunset", new { endsAt = "2020-01-01T00:00:00Z" }, "admin"),
        new("GET", P + "/sunset", "/sunset", null, "admin", "shop", "partner"),
        new("POST", P + "/sunset/snapshot", "/sunset/snapshot", null, "admin"),
        new("POST", P + "/sunset/metadata-export", "/sunset/metadata-export", new { hostUrl = "ftp://x/" }, "admin"),
        new("POST", P + "/drops/{dropId:long}/base-uri", "/drops/999999/base-uri", new { baseUri = "https://new.host/x/" }, "admin"),
        new("POST", P + "/members/{memberId}/wallet/claim", $"/members/{m}/wallet/claim", new { passphrase = "short" }, "admin", "member"),
        new("GET", "/v1/public/programs/{programId:long}", $"/v1/public/programs/{f.ProgramId}", null, "public"),
        new("GET", "/v1/public/programs/{programId:long}/sunset/snapshot", $"/v1/public/programs/{f.ProgramId}/sunset/snapshot", null, "public"),
        new("GET", "/v1/public/programs/{programId:long}/sunset/proof/{address}", $"/v1/public/programs/{f.ProgramId}/sunset/proof/{Address}", null, "public"),
        new("POST", P + "/drops", "/drops", new { }, "admin"),
        new("GET", P + "/drops", "/drops", null, "admin"),
        new("GET", P + "/drops/{dropId:long}", "/drops/999999", null, "admin"),
        new("PUT", P + "/drops/{dropId:long}/image", "/drops/999999/image", null, "admin"),
        new("POST", P + "/drops/{dropId:long}/publish", "/drops/999999/publish", null, "admin"),
        new("POST", P + "/drops/{dropId:long}/airdrop", "/drops/999999/airdrop", new { memberIds = new[] { m } }, "admin"),
        new("POST", P + "/drops/{dropId:long}/claims", "/drops/999999/claims", new { memberId = m }, "admin", "shop"),
        new("POST", P + "/drops/{dropId:long}/vouchers", "/drops/999999/vouchers", new { memberId = m }, "admin", "shop"),
        new("POST", P + "/drops/{dropId:long}/vouchers/{nonce}/relay", "/drops/999999/vouchers/1/relay", new { }, "admin", "shop"),
        new("GET", P + "/badges", "/badges", null, "admin"),
        new("POST", P + "/badges", "/badges", new { }, "admin"),
        new("DELETE", P + "/badges/{ruleId:long}", "/badges/999999", null, "admin"),
        new("POST", P + "/attestations", "/attestations", new { address = Address }, "admin", "partner"),
        new("PUT", P + "/tiers", "/tiers", new { }, "admin"),
        new("GET", P + "/tiers", "/tiers", null, "admin", "shop"),
        new("POST", P + "/members/{memberId}/tier", $"/members/{m}/tier", new { tier = "VIP" }, "admin"),
        new("DELETE", P + "/members/{memberId}/tier", $"/members/{m}/tier", null, "admin"),
        new("GET", P + "/members/{memberId}/tier-changes", $"/members/{m}/tier-changes", null, "admin", "shop", "member"),
        new("POST", P + "/causes", "/causes", new { name = "matrix cause" }, "admin"),
        new("GET", P + "/causes", "/causes", null, "admin", "shop", "member", "anymember"),
        new("PATCH", P + "/causes/{causeId:long}", "/causes/999999", new { active = false }, "admin"),
        new("GET", P + "/causes/totals", "/causes/totals", null, "admin", "shop", "member", "anymember"),
        new("GET", P + "/causes/{causeId:long}/totals", "/causes/999999/totals", null, "admin", "shop", "member", "anymember"),
        new("PUT", P + "/members/{memberId}/leaderboard", $"/members/{m}/leaderboard", new { optIn = false }, "admin", "member"),
        new("GET", P + "/leaderboard", "/leaderboard", null, "admin", "shop", "member", "anymember"),
        new("GET", P + "/members/{memberId}/recommendations", $"/members/{m}/recommendations", null, "admin", "shop", "member"),
        new("GET", P + "/members/{memberId}/catalog", $"/members/{m}/catalog", null, "admin", "member"),
        new("PUT", P + "/referrals/policy", "/referrals/policy", new { active = false, referrerReward = new { points = "1" }, refereeReward = new { points = "0" } }, "admin"),
        new("GET", P + "/referrals/policy", "/referrals/policy", null, "admin", "shop"),
        new("GET", P + "/members/{memberId}/referrals", $"/members/{m}/referrals", null, "admin", "shop", "member"),
        new("POST", P + "/challenges", "/challenges", new { }, "admin"),
        new("GET", P + "/challenges", "/challenges", null, "admin", "shop"),
        new("GET", P + "/challenges/{challengeId:long}", "/challenges/999999", null, "admin", "shop"),
        new("PATCH", P + "/challenges/{challengeId:long}", "/challenges/999999", new { }, "admin"),
        new("GET", P + "/members/{memberId}/challenges", $"/members/{m}/challenges", null, "admin", "shop", "member"),
        // Segments and offers (issue 13).
        new("GET", P + "/segments", "/segments", null, "admin", "shop"),
        new("POST", P + "/segments", "/segments", new { name = "matrix", definition = new { tiers = new[] { "Gold" } } }, "admin"),
        new("GET", P + "/segments/{segmentId:long}", "/segments/999999", null, "admin", "shop"),
        new("PUT", P + "/segments/{segmentId:long}", "/segments/999999", new { name = "matrix", definition = new { } }, "admin"),
        new("DELETE", P + "/segments/{segmentId:long}", "/segments/999999", null, "admin"),
        new("GET", P + "/segments/{segmentId:long}/count", "/segments/999999/count", null, "admin", "shop"),
        new("GET", P + "/segments/{segmentId:long}/members", "/segments/999999/members", null, "admin", "shop"),
        new("GET", P + "/segments/{segmentId:long}/export.csv", "/segments/999999/export.csv", null, "admin"),
        // Analytics (issue 14).
        new("GET", P + "/analytics", "/analytics?from=2026-01-01&to=2026-01-31", null, "admin"),
        new("POST", P + "/analytics/rebuild", "/analytics/rebuild", null, "admin"),
        new("GET", P + "/analytics/rebuild", "/analytics/rebuild", null, "admin"),
        new("GET", P + "/exports/members.csv", "/exports/members.csv", null, "admin"),
        new("GET", P + "/exports/ledger.csv", "/exports/ledger.csv", null, "admin"),
        new("GET", P + "/webhooks/event-types", "/webhooks/event-types", null, "admin"),
        new("POST", P + "/webhooks", "/webhooks", new { url = "https://example.com/matrix", eventTypes = new[] { "points.earned" } }, "admin"),
        new("GET", P + "/webhooks", "/webhooks", null, "admin"),
        new("GET", P + "/webhooks/{id:long}", "/webhooks/999999", null, "admin"),
        new("PATCH", P + "/webhooks/{id:long}", "/webhooks/999999", new { enabled = false }, "admin"),
        new("DELETE", P + "/webhooks/{id:long}", "/webhooks/999999", null, "admin"),
        new("POST", P + "/webhooks/{id:long}/rotate-secret", "/webhooks/999999/rotate-secret", null, "admin"),
        new("GET", P + "/webhooks/{id:long}/deliveries", "/webhooks/999999/deliveries", null, "admin"),
        new("POST", P + "/webhooks/{id:long}/deliveries/{deliveryId:long}/redeliver", "/webhooks/999999/deliveries/1/redeliver", null, "admin"),
        new("GET", P + "/offers", "/offers", null, "admin", "shop"),
        new("POST", P + "/offers", "/offers", new { name = "matrix", kind = "bonus_rule" }, "admin"),
        new("GET", P + "/offers/{offerId:long}", "/offers/999999", null, "admin", "shop"),
        new("PATCH", P + "/offers/{offerId:long}", "/offers/999999", new { active = false }, "admin"),
        new("GET", P + "/members/{memberId}/offers", $"/members/{m}/offers", null, "admin", "shop", "member"),
    ];

    [Fact]
    public void TheMatrix_ListsEveryEndpointOfTheRouteTable()
    {
        var routes = f.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(method => $"{method} {Normalize(e.RoutePattern.RawText)}"))
            .ToHashSet();
        var listed = Endpoints("m", 1).Select(e => $"{e.Method} {Normalize(e.Route)}").ToHashSet();

        Assert.True(routes.Except(listed).Count() == 0, "endpoints without a row in the matrix:\n" + string.Join("\n", routes.Except(listed).Order()));
        Assert.True(listed.Except(routes).Count() == 0, "matrix rows for endpoints that do not exist:\n" + string.Join("\n", listed.Except(routes).Order()));
    }

    private static string Normalize(string? template) => "/" + (template ?? "").Trim('/');

    [Fact]
    public async Task EveryEndpoint_ForEveryCaller_IsAllowedOrRefusedAsSpecified()
    {
        var m = "matrix-member";
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m });
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "matrix-other" });
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "matrix-erased" });
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "matrix-forgotten" });
        var redemption = await RedemptionOfAsync(m);
        var keys = new Dictionary<string, string>
        {
            ["root"] = f.Factory.AdminKey,
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
        foreach (var e in Endpoints(m, redemption))
        {
            var isPublic = e.Allowed.Contains("public");
            // The root key is the admin of every program; /v1/admin answers any other key with 401.
            var allowed = (string caller) => isPublic || (caller == "root" && !e.Allowed.Contains("session")) || e.Allowed.Contains(caller);
            var refusal = e.Route.StartsWith("/v1/admin") || e.Allowed.Contains("session") ? new[] { HttpStatusCode.Unauthorized } : [HttpStatusCode.Forbidden];

            async Task Expect(string caller, Func<HttpRequestMessage, HttpRequestMessage> auth, params HttpStatusCode[] refusedWith)
            {
                var path = e.Path.StartsWith('/') && !e.Route.StartsWith(P) ? e.Path : f.P(e.Path);
                var request = auth(new HttpRequestMessage(new HttpMethod(e.Method), path));
                if (e.Body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(e.Body);
                var response = await f.Api.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var refused = body.Contains("\"code\":\"UNAUTHORIZED\"") || body.Contains("\"code\":\"FORBIDDEN\"")
                              || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && !body.Contains("\"code\":\"SIWE_");
                if (refusedWith.Length > 0 && !refusedWith.Contains(response.StatusCode))
                    failures.Add($"{e.Method} {e.Path} as {caller}: {(int)response.StatusCode}, expected {string.Join("/", refusedWith.Select(x => (int)x))}: {body}");
                if (refusedWith.Length > 0 && !body.Contains("\"code\""))
                    failures.Add($"{e.Method} {e.Path} as {caller}: refusal without problem details");
                if (refusedWith.Length == 0 && refused)
                    failures.Add($"{e.Method} {e.Path} as {caller}: refused ({(int)response.StatusCode}) but the caller is allowed: {body}");
                if ((int)response.StatusCode >= 500)
                    failures.Add($"{e.Method} {e.Path} as {caller}: {(int)response.StatusCode}");
            }

            HttpStatusCode[] Outcome(string caller, HttpStatusCode[] refusedWith) => allowed(caller) ? [] : refusedWith;
            await Expect("no key", r => r, Outcome("none", [HttpStatusCode.Unauthorized]));
            await Expect("unknown key", r => { r.Headers.Add("X-Api-Key", "lc_admin_nope"); return r; }, Outcome("none", [HttpStatusCode.Unauthorized]));
            await Expect("other program's admin", r => { r.Headers.Add("X-Api-Key", otherAdmin); return r; },
                Outcome(e.Allowed.Contains("root") ? "none" : "other", refusal));
            foreach (var (role, key) in keys)
                await Expect(role, r => { r.Headers.Add("X-Api-Key", key); return r; }, Outcome(role, refusal));
            await Expect("member", r => { r.Headers.Authorization = new("Bearer", memberToken); return r; }, Outcome("member", refusal));
            // "anymember": a program-wide read every member of the program may see (causes, the leaderboard).
            if (e.Allowed.Contains("member"))
                await Expect("another member", r => { r.Headers.Authorization = new("Bearer", otherMemberToken); return r; },
                    e.Allowed.Contains("anymember") ? [] : refusal);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>A real redemption of the member, so the member-token rows of redemption routes test ownership, not a 404.</summary>
    private async Task<long> RedemptionOfAsync(string member)
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "matrix grant", trigger = "matrix-grant", effect = new { kind = "Fixed", points = 5 } });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "matrix-grant", memberId = member, eventId = "matrix-grant-1" });
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "matrix coupon", cost = "1" })).Body!["id"]!.GetValue<long>();
        long id = 0;
        var redeemed = await LoyaltyApi.EventuallyAsync(async () =>
        {
            var r = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward });
            if (r.Status != HttpStatusCode.Created) return false;
            id = r.Body!["id"]!.GetValue<long>();
            return true;
        }, TimeSpan.FromSeconds(60));
        Assert.True(redeemed, "the matrix member could not redeem");
        return id;
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
