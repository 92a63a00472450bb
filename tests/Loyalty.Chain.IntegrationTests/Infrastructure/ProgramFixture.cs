using System.Net;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// A real node (interval mining), the real API with its Hangfire server on a temp SQLite data folder, and one
/// program created through the API, deployed through the pipeline and Active.
/// </summary>
public class ProgramFixture : IAsyncLifetime
{
    public PipelineFixture Chain { get; } = new();
    public ApiFactory Factory { get; private set; } = null!;
    public LoyaltyApi Api { get; private set; } = null!;
    public long ProgramId { get; private set; }
    public string AdminKey { get; private set; } = "";
    public JsonNode Program { get; private set; } = null!;
    protected virtual long PendingPeriodSeconds => 0;
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;
    /// <summary>A data folder the fixture keeps (a second host can start on it); null: the host's own temp folder.</summary>
    protected virtual string? DataDirectory => null;
    /// <summary>Services replaced in the host (e.g. a TimeProvider a test moves).</summary>
    protected virtual Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? TestServices => null;
    /// <summary>Called on the factory before the host starts (e.g. to serve on a real loopback port).</summary>
    protected virtual Action<ApiFactory>? BeforeStart => null;
    protected virtual HttpClient CreateClient(ApiFactory factory) => factory.CreateClient();
    public string CollectibleContract => Program["collectibleContract"]!.GetValue<string>();

    public async Task InitializeAsync()
    {
        await Chain.InitializeAsync();
        Factory = new ApiFactory(Chain.Chain.Node.RpcUrl, Settings, TestServices, DataDirectory);
        BeforeStart?.Invoke(Factory);
        Api = new LoyaltyApi(CreateClient(Factory));
        var op = await Api.GetAsync("/v1/admin/operator", Factory.AdminKey);
        var operatorAddress = op.Body!["address"]!.GetValue<string>();
        await Chain.RpcAsync("hardhat_setBalance", $"[\"{operatorAddress}\", \"0x56bc75e2d63100000\"]");

        var created = await Api.PostAsync("/v1/programs", Factory.AdminKey, new
        {
            name = "Fixture Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR",
            pendingPeriodSeconds = PendingPeriodSeconds, timeZone = "UTC",
        });
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"program not created: {created.Status} {created.Body}");
        ProgramId = created.Body!["program"]!["id"]!.GetValue<long>();
        AdminKey = created.Body["adminKey"]!.GetValue<string>();
        var active = await LoyaltyApi.EventuallyAsync(async () =>
        {
            var p = await Api.GetAsync($"/v1/programs/{ProgramId}", AdminKey);
            Program = p.Body!;
            return p.Body!["status"]!.GetValue<string>() == "Active";
        }, TimeSpan.FromSeconds(90));
        if (!active) throw new InvalidOperationException("program did not become active: " + Program);
    }

    public string P(string path) => $"/v1/programs/{ProgramId}{path}";

    /// <summary>Another program on the same host and node (root key), with its id and admin key; waits until it is Active when asked.</summary>
    public async Task<(long Id, string AdminKey)> CreateOtherProgramAsync(string name, string symbol, bool untilActive = false)
    {
        var created = await Api.PostAsync("/v1/programs", Factory.AdminKey, new
        {
            name, pointName = symbol, pointSymbol = symbol, decimals = 0, currency = "EUR", pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"program not created: {created.Status} {created.Body}");
        var id = created.Body!["program"]!["id"]!.GetValue<long>();
        var key = created.Body["adminKey"]!.GetValue<string>();
        if (untilActive && !await LoyaltyApi.EventuallyAsync(async () =>
                (await Api.GetAsync($"/v1/programs/{id}", key)).Body!["status"]!.GetValue<string>() == "Active", TimeSpan.FromSeconds(90)))
            throw new InvalidOperationException($"program {id} did not become active");
        return (id, key);
    }

    public async Task DisposeAsync()
    {
        if (Factory is not null) await Factory.DisposeAsync();
        await Chain.DisposeAsync();
    }
}

public sealed class PendingProgramFixture : ProgramFixture
{
    protected override long PendingPeriodSeconds => 3600;
}
