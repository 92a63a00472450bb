using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A host whose webhook pass never runs: the changes commit with their outbox rows, then the host stops.</summary>
public sealed class WebhookCrashFixture : JobsProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>(base.Settings!
        .Concat(WebhookFixture.WebhookSettings.Where(kv => kv.Key != "Jobs:WebhooksCron"))
        .Append(new("Jobs:WebhooksCron", "0 0 1 1 *")));

    public string Kept { get; } = Directory.CreateTempSubdirectory("lc-crash-").FullName;
    protected override string? DataDirectory => Kept;
}

public sealed class WebhookCrashTests(WebhookCrashFixture f) : IClassFixture<WebhookCrashFixture>
{
    [Fact]
    public async Task HostStoppedBetweenTheChangeAndTheDelivery_ANewHostOnTheSameDatabaseDeliversEverything_InOrderPerMember()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await f.Api.PostAsync(f.P("/webhooks"), f.AdminKey, new { url = receiver.Url("crash"), eventTypes = new[] { "member.enrolled", "points.earned" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        await receiver.ConfigureAsync("crash", [created.Body!["secret"]!.GetValue<string>()]);
        foreach (var m in new[] { "wh-c1", "wh-c2" })
            for (var i = 1; i <= 3; i++) await f.EarnAsync(m, i);
        var order = await WithOrderAsync(f.Factory);
        Assert.Equal(8, order.Count);
        await Task.Delay(1500);
        Assert.Empty(await receiver.ReceivedAsync("crash"));

        // The "crash": the host goes away with every event committed and none delivered.
        var (dataDirectory, rpcUrl) = (f.Factory.DataDirectory, f.Chain.Chain.Node.RpcUrl);
        var keep = f.Kept;
        await f.Factory.DisposeAsync();
        try
        {
            await using var second = new ApiFactory(rpcUrl, WebhookFixture.WebhookSettings, dataDirectory: keep, adminKey: f.Factory.AdminKey);
            _ = second.CreateClient(); // starts the host and its Hangfire server
            Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await receiver.AcceptedAsync("crash")).Count >= 8, TimeSpan.FromSeconds(40)),
                "received: " + string.Join("\n", (await receiver.ReceivedAsync("crash")).Select(x => x.ToJsonString())));
            var got = await receiver.ReceivedAsync("crash");
            Assert.All(got, r => Assert.NotEmpty(r["verifiedWith"]!.AsArray()));
            Assert.Equal(order.Keys.Order(), (await receiver.AcceptedAsync("crash")).Select(r => r["id"]!.GetValue<string>()).Order());
            foreach (var member in got.GroupBy(r => r["memberId"]!.GetValue<string>()))
            {
                var seq = member.Select(r => order[r["id"]!.GetValue<string>()]).ToList();
                Assert.Equal(seq.Order(), seq);
            }
        }
        finally
        {
            try { Directory.Delete(keep, recursive: true); } catch (IOException) { }
        }
    }

    private static Task<Dictionary<string, long>> WithOrderAsync(ApiFactory factory)
    {
        using var scope = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateScope(factory.Services);
        var db = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>(scope.ServiceProvider);
        return Task.FromResult(db.Set<Loyalty.Chain.Webhooks.WebhookEvent>().ToDictionary(e => e.MessageId, e => e.Id));
    }
}
