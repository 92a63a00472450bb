using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests.Money;

/// <summary>What the money tests share: members with points, rewards, and direct reads of the host's ledger.</summary>
public abstract class MoneyTestsBase(MoneyFixture f)
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    protected MoneyFixture F => f;

    protected string P(long programId, string path) => $"/v1/programs/{programId}{path}";

    protected async Task EnsureGiftRuleAsync(long programId, string adminKey)
    {
        var rules = (await f.Api.GetAsync(P(programId, "/rules"), adminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift")) return;
        var created = await f.Api.PostAsync(P(programId, "/rules"), adminKey,
            new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
    }

    protected async Task<string> EnrolAsync(string prefix, long? programId = null, string? adminKey = null)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..20];
        var created = await f.Api.PostAsync(P(programId ?? f.ProgramId, "/members"), adminKey ?? f.AdminKey, new { externalId = id });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        return id;
    }

    /// <summary>Points available in the ledger; minted on chain only when <paramref name="mint"/> (the burn waits for them otherwise).</summary>
    protected async Task GiftAsync(string member, long points, bool mint, long? programId = null, string? adminKey = null)
    {
        var (pid, key) = (programId ?? f.ProgramId, adminKey ?? f.AdminKey);
        await EnsureGiftRuleAsync(pid, key);
        var gift = await f.Api.PostAsync(P(pid, "/events"), key, new { type = "gift", memberId = member, eventId = "gift-" + Guid.NewGuid().ToString("N"), amount = $"{points}.00" });
        Assert.True(gift.Status == HttpStatusCode.Created, gift.Body?.ToJsonString());
        if (!mint) return;
        await f.Api.PostAsync(P(pid, "/settlement/run"), key, null);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(P(pid, $"/members/{member}"), key)).Body!["balance"]!["onChain"]!.GetValue<string>() == points.ToString(), Wait),
            "points never reached the chain");
    }

    protected async Task<JsonNode> BalanceAsync(string member, long? programId = null, string? adminKey = null) =>
        (await f.Api.GetAsync(P(programId ?? f.ProgramId, $"/members/{member}"), adminKey ?? f.AdminKey)).Body!["balance"]!;

    protected async Task<long> RewardAsync(string type, long cost, int? perMemberLimit = null, long? programId = null, string? adminKey = null)
    {
        var r = await f.Api.PostAsync(P(programId ?? f.ProgramId, "/rewards"), adminKey ?? f.AdminKey,
            new { type, name = $"{type} {cost}", cost = cost.ToString(), perMemberLimit });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        return r.Body!["id"]!.GetValue<long>();
    }

    protected async Task<T> WithDbAsync<T>(Func<LoyaltyDbContext, Task<T>> work)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await work(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>Linking through SIWE has its own tests; here the member simply gets a self-custody wallet.</summary>
    protected Task SetSelfCustodyAsync(string member, string address, long? programId = null) => WithDbAsync(db =>
        db.Set<Member>().Where(m => m.ProgramId == (programId ?? f.ProgramId) && m.ExternalId == member)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.WalletAddress, address.ToLowerInvariant()).SetProperty(m => m.WalletKind, WalletKind.SelfCustody)));

    protected async Task<JsonNode> WaitForRedemptionAsync(long id, Func<JsonNode, bool> done, long? programId = null, string? adminKey = null)
    {
        JsonNode? last = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            last = (await f.Api.GetAsync(P(programId ?? f.ProgramId, $"/redemptions/{id}"), adminKey ?? f.AdminKey)).Body!;
            return done(last);
        }, Wait), $"redemption never got there: {last}");
        return last!;
    }

    protected async Task<(HttpStatusCode Status, JsonNode? Body)> AsMemberAsync(HttpMethod method, string path, string member, object? body = null)
    {
        var token = (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", token);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        var response = await f.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
