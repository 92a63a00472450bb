using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Loyalty.Chain.BrowserTests.Infrastructure;

/// <summary>
/// The whole system as a person meets it: a Hardhat node, the real API host on a loopback port (Kestrel, with the
/// built pages of web/dist), one Active program, and Debian's Chromium driven by Playwright. One per test class.
/// </summary>
public class WebHostFixture : IAsyncLifetime
{
    public PipelineFixture Chain { get; } = new();
    public ApiFactory Factory { get; private set; } = null!;
    public LoyaltyApi Api { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public long ProgramId { get; private set; }
    public string AdminKey { get; private set; } = "";
    public string PointsContract { get; private set; } = "";
    public string CollectibleContract { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Extra host settings for a class's fixture (e.g. Web:ConnectSources).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    public string P(string path) => $"/v1/programs/{ProgramId}{path}";

    public virtual async Task InitializeAsync()
    {
        var web = Path.Combine(RepoPaths.Root, "web", "dist", "portal", "index.html");
        if (!File.Exists(web)) throw new InvalidOperationException($"{web} is missing: build the pages first (npm run build:web; scripts/test.sh does it)");
        await Chain.InitializeAsync();
        var settings = new Dictionary<string, string>(Settings) { ["Web:Root"] = Path.Combine(RepoPaths.Root, "web", "dist") };
        Factory = new ApiFactory(Chain.Chain.Node.RpcUrl, settings);
        Factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        Factory.StartServer();
        BaseUrl = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Api = new LoyaltyApi(new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) });

        var op = await Api.GetAsync("/v1/admin/operator", Factory.AdminKey);
        await Chain.RpcAsync("hardhat_setBalance", $"[\"{op.Body!["address"]!.GetValue<string>()}\", \"0x56bc75e2d63100000\"]");
        var created = await Api.PostAsync("/v1/programs", Factory.AdminKey, new
        {
            name = "Corner Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR",
            pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"program not created: {created.Status} {created.Body}");
        ProgramId = created.Body!["program"]!["id"]!.GetValue<long>();
        AdminKey = created.Body["adminKey"]!.GetValue<string>();
        var program = created.Body["program"]!;
        var active = await LoyaltyApi.EventuallyAsync(async () =>
        {
            program = (await Api.GetAsync($"/v1/programs/{ProgramId}", AdminKey)).Body!;
            return program["status"]!.GetValue<string>() == "Active";
        }, TimeSpan.FromSeconds(90));
        if (!active) throw new InvalidOperationException("program did not become active: " + program);
        PointsContract = program["pointsContract"]!.GetValue<string>();
        CollectibleContract = program["collectibleContract"]?.GetValue<string>() ?? "";

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            // Background networking off: this machine has no network beyond loopback, and the browser must not try.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--no-first-run", "--disable-default-apps"],
        });
    }

    /// <summary>A fresh browser context (own cookies and storage): a phone-sized one unless a viewport is given.</summary>
    public async Task<IPage> NewPageAsync(int width = 390, int height = 844, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = locale,
            IsMobile = width < 600,
            HasTouch = width < 600,
        });
        // Every request the page makes must stay on loopback: a CDN font or script would fail the test here.
        await context.RouteAsync("**/*", async route =>
        {
            var uri = new Uri(route.Request.Url);
            if (uri.Scheme is "data" or "blob" || uri.IsLoopback) await route.ContinueAsync();
            else
            {
                ExternalRequests.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        return await context.NewPageAsync();
    }

    /// <summary>Requests a page tried to send off this machine (must stay empty).</summary>
    public System.Collections.Concurrent.ConcurrentBag<string> ExternalRequests { get; } = [];

    public static string ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        foreach (var candidate in new[] { configured, "/usr/bin/chromium", "/usr/bin/chromium-browser" })
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate)) return candidate;
        throw new InvalidOperationException("Chromium not found: install Debian's 'chromium' package (scripts/test.sh does) or set CHROMIUM_PATH");
    }

    /// <summary>Where the README's screenshots go (committed, small).</summary>
    public static string ScreenshotPath(string name) => Path.Combine(RepoPaths.Root, "docs", "screenshots", name);

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        Api?.Http.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
        await Chain.DisposeAsync();
    }
}
