using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Loyalty.Chain.Api.Features;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The real API host (same settings as <see cref="ApiFactory"/>, indexer every second, public base URL = the
/// test server). Until the host wires collectibles itself (AddCollectibles, MapDrops, the drop pass in
/// LoyaltyJobs), this factory adds exactly that wiring; once the host has it, it adds nothing.
/// </summary>
public sealed class DropApiFactory(string rpcUrl) : WebApplicationFactory<Program>
{
    public string AdminKey { get; } = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("lc-drops-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Chain:RpcUrl", rpcUrl);
        builder.UseSetting("Chain:ChainId", HardhatNode.ChainId.ToString());
        builder.UseSetting("Chain:ConfirmationDepth", "2");
        builder.UseSetting("Database:DataDirectory", DataDirectory);
        builder.UseSetting("Custody:DataDirectory", DataDirectory);
        builder.UseSetting("Custody:KeystoreScryptN", "4096");
        builder.UseSetting("Jobs:PipelineCron", "* * * * * *");
        builder.UseSetting("Jobs:SettlementCron", "* * * * * *");
        builder.UseSetting("Settlement:MaxIntentAge", "00:10:00");
        builder.UseSetting("Indexer:Interval", "00:00:01");
        builder.UseSetting("Collectibles:PublicBaseUrl", "http://localhost");
        builder.UseSetting("Admin:ApiKeySha256", AdminKeyVerifier.Hash(AdminKey));
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            if (services.Any(d => d.ServiceType == typeof(DropService))) return;
            services.AddCollectibles();
            services.AddSingleton<IStartupFilter, MapDropsFilter>();
            services.AddHostedService<DropPass>();
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    /// <summary>app.MapDrops() after the host's own pipeline (so its exception handler and problem details apply).</summary>
    private sealed class MapDropsFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.UseRouting();
            app.UseEndpoints(endpoints => endpoints.MapDrops());
        };
    }

    /// <summary>Stands for the drop step of LoyaltyJobs.SettleAsync.</summary>
    private sealed class DropPass(IServiceScopeFactory scopes) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using (var scope = scopes.CreateScope())
                    await scope.ServiceProvider.GetRequiredService<DropProcessor>().RunAsync(stoppingToken);
                await Task.Delay(300, stoppingToken);
            }
        }
    }
}

/// <summary>A node, the API host and one Active program created through the API (as <see cref="ProgramFixture"/>).</summary>
public sealed class DropApiFixture : IAsyncLifetime
{
    public PipelineFixture Chain { get; } = new();
    public DropApiFactory Factory { get; private set; } = null!;
    public LoyaltyApi Api { get; private set; } = null!;
    public long ProgramId { get; private set; }
    public string AdminKey { get; private set; } = "";
    public string CollectibleContract { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Chain.InitializeAsync();
        Factory = new DropApiFactory(Chain.Chain.Node.RpcUrl);
        Api = new LoyaltyApi(Factory.CreateClient());
        var op = await Api.GetAsync("/v1/admin/operator", Factory.AdminKey);
        await Chain.RpcAsync("hardhat_setBalance", $"[\"{op.Body!["address"]!.GetValue<string>()}\", \"0x56bc75e2d63100000\"]");
        var created = await Api.PostAsync("/v1/programs", Factory.AdminKey, new
        {
            name = "Drop Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"program not created: {created.Status} {created.Body}");
        ProgramId = created.Body!["program"]!["id"]!.GetValue<long>();
        AdminKey = created.Body["adminKey"]!.GetValue<string>();
        JsonNode? program = null;
        var active = await LoyaltyApi.EventuallyAsync(async () =>
        {
            program = (await Api.GetAsync($"/v1/programs/{ProgramId}", AdminKey)).Body;
            return program?["status"]?.GetValue<string>() == "Active";
        }, TimeSpan.FromSeconds(90));
        if (!active) throw new InvalidOperationException("program did not become active: " + program);
        CollectibleContract = program!["collectibleContract"]!.GetValue<string>();
    }

    public string P(string path) => $"/v1/programs/{ProgramId}{path}";

    public async Task DisposeAsync()
    {
        if (Factory is not null) await Factory.DisposeAsync();
        await Chain.DisposeAsync();
    }
}
