using System.Collections.Concurrent;
using System.Diagnostics;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// One service instance as it is deployed: the built API (HTTP endpoints and Hangfire workers) in its own
/// process on 127.0.0.1 and a free port, configured through environment variables. Several of these on
/// one database are a scale-out; nothing is shared in memory. Its output is captured for secret checks.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    public string BaseUrl { get; }
    public ConcurrentQueue<string> Output { get; } = new();
    public HttpClient Http { get; }
    public LoyaltyApi Api { get; }

    private ApiProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Api = new LoyaltyApi(Http);
    }

    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        // The API is built in the same configuration as this test assembly (scripts/test.sh builds Release).
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var bin = Path.Combine(RepoPaths.Root, "src", "Loyalty.Chain.Api", "bin", configuration, "net10.0");
        var dll = Path.Combine(bin, "Loyalty.Chain.Api.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build the solution first");
        var port = HardhatNode.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = bin,
        };
        foreach (var arg in new[] { dll, "--urls", url, "--contentRoot", bin }) info.ArgumentList.Add(arg);
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(info)!;
        var instance = new ApiProcess(process, url);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) instance.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) instance.Output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var up = await LoyaltyApi.EventuallyAsync(async () =>
        {
            if (process.HasExited) return true;
            try { return (await instance.Http.GetAsync("/health")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60));
        if (!up || process.HasExited)
        {
            await instance.DisposeAsync();
            throw new InvalidOperationException($"API instance did not start on {url}:\n{string.Join('\n', instance.Output.TakeLast(40))}");
        }
        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>A fact that runs only in the PostgreSQL pass of the suite (scripts/test.sh sets LOYALTY_TEST_POSTGRES).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!TestDatabase.IsPostgres) Skip = "runs on PostgreSQL only (scripts/test.sh runs this suite a second time on PostgreSQL)";
    }
}
