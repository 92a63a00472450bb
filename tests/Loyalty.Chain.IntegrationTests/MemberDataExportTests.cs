using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.Custody;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// GDPR access: GET …/members/{memberId}/export gives the member (or an admin) every row held about them, with no
/// key, token or secret in it; another member's token and a shop key are refused; erasure scrubs webhook payloads.
/// </summary>
public sealed class MemberDataExportTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private async Task<T> DbAsync<T>(Func<IServiceProvider, LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    private async Task<string> TokenAsync(string member) =>
        (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();

    private async Task<(HttpStatusCode Status, string Body)> ExportAsync(string member, string? bearer = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{member}/export"));
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        var response = await f.Api.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AMemberWhoEarnedRedeemedAndHoldsABadge_ExportsAllOfIt_WithoutAnySecret()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var member = "export-" + suffix;
        var other = "export-other-" + suffix;
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/webhooks"), f.AdminKey,
            new { url = $"https://hooks-{suffix}.invalid/lc", eventTypes = new[] { "member.enrolled", "points.earned" } })).Status);
        Loyalty.Chain.Webhooks.WebhookOutbox.Invalidate(f.ProgramId);
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "export euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1 } });
        var drop = (await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "export badge " + suffix, maxSupply = 100, soulbound = true })).Body!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/badges"), f.AdminKey,
            new { name = "first purchase " + suffix, dropId = drop, trigger = "purchase", kind = "FirstEvent" })).Status);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey,
            new { externalId = member, email = $"{member}@example.com", attributes = new Dictionary<string, string> { ["city"] = "Ghent" } })).Status);
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = other });
        var token = await TokenAsync(member);
        var patch = new HttpRequestMessage(HttpMethod.Patch, f.P($"/members/{member}")) { Content = JsonContent.Create(new { consents = new { sms = true } }) };
        patch.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await f.Api.Http.SendAsync(patch)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = member, eventId = "export-order-" + suffix, amount = "50.00", currency = "EUR" })).Status);
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "export coupon " + suffix, cost = "10" })).Body!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward })).Status);
        // A portal session, so the export shows session metadata (and must not show its secret).
        var browser = f.Factory.CreateClient();
        var signIn = await browser.PostAsJsonAsync("/v1/member-sessions", new { token });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var csrf = JsonNode.Parse(await signIn.Content.ReadAsStringAsync())!["csrfToken"]!.GetValue<string>();
        var cookie = signIn.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("lc_session=")).Split(';')[0]["lc_session=".Length..];

        var (status, text) = await ExportAsync(member, bearer: token);

        Assert.True(status == HttpStatusCode.OK, text);
        var export = JsonNode.Parse(text)!;
        var data = export["data"]!;
        Assert.Equal(MemberDataExport.Format, export["format"]!.GetValue<string>());
        Assert.Equal(member, export["memberId"]!.GetValue<string>());
        Assert.Equal($"{member}@example.com", data["profile"]!["email"]!.GetValue<string>());
        Assert.Equal("Ghent", data["profile"]!["attributes"]!["city"]!.GetValue<string>());
        Assert.True(data["profile"]!["consents"]!["sms"]!["granted"]!.GetValue<bool>());
        // Points are decimal strings: 50 earned, 10 reserved or spent by the redemption.
        Assert.Equal("50", data["balance"]!["lifetimeEarned"]!.GetValue<string>());
        Assert.Equal("40", data["balance"]!["available"]!.GetValue<string>());
        Assert.Contains(data["ledgerEntries"]!.AsArray(), e => e!["amount"]!.GetValue<string>() == "50");
        Assert.Contains(data["events"]!.AsArray(), e => e!["externalId"]!.GetValue<string>() == "export-order-" + suffix);
        var redemption = Assert.Single(data["redemptions"]!.AsArray());
        Assert.Equal(reward.ToString(), redemption!["rewardId"]!.GetValue<string>());
        Assert.Single(data["coupons"]!.AsArray());
        var badge = Assert.Single(data["collectibles"]!.AsArray());
        Assert.Equal(drop.ToString(), badge!["dropId"]!.GetValue<string>());
        var wallet = Assert.Single(data["custodialWallets"]!.AsArray());
        Assert.Equal(data["member"]!["walletAddress"]!.GetValue<string>(), wallet!["address"]!.GetValue<string>());
        Assert.NotNull(data["referrals"]!.AsArray());
        Assert.Contains(data["webhookEvents"]!.AsArray(), e => e!["payload"]!["data"]!["memberId"]?.GetValue<string>() == member);
        var session = Assert.Single(data["sessions"]!.AsArray());
        Assert.Equal("token", session!["method"]!.GetValue<string>());
        Assert.Null(session["secretHash"]);
        Assert.Null(session["csrfHash"]);

        // No key, token, session secret, KEK or ciphertext anywhere in the document.
        var privateKey = await DbAsync(async (sp, db) =>
        {
            var index = (await db.Set<Member>().SingleAsync(m => m.ProgramId == f.ProgramId && m.ExternalId == member)).CustodialIndex!.Value;
            return await sp.GetRequiredService<CustodyService>().WithMemberKeyAsync(f.ProgramId, index, k => k.GetPrivateKey());
        });
        var kekFile = f.Factory.Services.GetRequiredService<IOptions<CustodyOptions>>().Value.ResolveKeyFile();
        var secrets = new List<string> { privateKey, privateKey.Replace("0x", ""), token, cookie, csrf, (await File.ReadAllTextAsync(kekFile)).Trim() };
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        foreach (var column in new[] { "ciphertext", "wrappedKey", "secretHash", "csrfHash", "burnSignature" })
            Assert.DoesNotContain($"\"{column}\"", text);

        // Another member's token and a shop key are refused; an admin may export; an unknown member is a coded 404.
        var refused = await ExportAsync(member, bearer: await TokenAsync(other));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("\"code\":\"FORBIDDEN\"", refused.Body);
        Assert.DoesNotContain(member + "@example.com", refused.Body);
        var shop = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, (await ExportAsync(member, key: shop)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ExportAsync(member, key: f.AdminKey)).Status);
        var unknown = await ExportAsync("nobody-" + suffix, key: f.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("\"code\":\"UNKNOWN_MEMBER\"", unknown.Body);
        Assert.Equal(HttpStatusCode.BadRequest, (await ExportAsync("bad%0A", key: f.AdminKey)).Status);

        // Erasure empties the profile and takes the external id out of every stored webhook payload of the member.
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{member}/profile"), f.AdminKey)).Status);
        var erased = JsonNode.Parse((await ExportAsync(member, key: f.AdminKey)).Body)!["data"]!;
        Assert.Null(erased["profile"]!["email"]);
        var events = erased["webhookEvents"]!.AsArray();
        Assert.NotEmpty(events);
        Assert.All(events, e =>
        {
            Assert.Null(e!["payload"]!["data"]!["memberId"]);
            Assert.True(e["payload"]!["data"]!["memberErased"]!.GetValue<bool>());
        });
    }

    [Fact]
    public async Task EveryEntityWithAMemberColumn_IsExportedOrExplained_AndNoExportedEntityHoldsASecret()
    {
        var model = await DbAsync((_, db) => Task.FromResult(db.Model));
        var exported = MemberDataExport.ExportedTypes.ToHashSet();
        var linked = model.GetEntityTypes()
            .Where(t => t.GetProperties().Any(p => p.Name.EndsWith("MemberId") || p.Name is "ReferrerId" or "RefereeId"))
            .Select(t => t.ClrType).ToList();
        Assert.NotEmpty(linked);
        var missing = linked.Where(t => !exported.Contains(t) && !MemberDataExport.NotExported.ContainsKey(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "member-linked entities neither exported nor explained: " + string.Join(", ", missing));
        foreach (var type in exported)
            Assert.Empty(model.FindEntityType(type)!.GetComplexProperties());
    }
}
