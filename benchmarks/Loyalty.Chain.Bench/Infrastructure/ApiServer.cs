using System.Numerics;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>
/// The real API as its own process on Kestrel (127.0.0.1, a free port), started like scripts/run.sh does: the
/// Release dll, configuration from the environment, the root admin key given by its SHA-256 only.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    /// <summary>Settlement waits for the bench's trigger: nothing is old enough to settle by itself during a run.</summary>
    public const string MaxIntentAge = "1.00:00:00";
    public const int ConfirmationDepth = 3;

    private readonly ChildProcess _process;

    private ApiServer(ChildProcess process, string url, ApiClient client)
    {
        _process = process;
        Url = url;
        Client = client;
    }

    public string Url { get; }
    public ApiClient Client { get; }
    public string LogPath => _process.LogPath;

    /// <summary>
    /// CPU time (user + system) the API process has used so far, read from /proc: the engagement phase divides its
    /// change over a window by the events of that window. setsid execs in place, so the pid is the API's own.
    /// </summary>
    public TimeSpan CpuTime()
    {
        using var p = System.Diagnostics.Process.GetProcessById(_process.Id);
        return p.TotalProcessorTime;
    }
    public string Tail(int lines = 25) => _process.Tail(lines);

    public static async Task<ApiServer> StartAsync(string name, string apiDll, string dataDir, string logDir, string rpcUrl, string rootKeySha256,
        IReadOnlyDictionary<string, string> database, Leftovers leftovers, HttpClient http, CancellationToken ct)
    {
        if (!File.Exists(apiDll)) throw new InvalidOperationException($"{apiDll} is missing: build the API in Release first (scripts/bench.sh does)");
        Directory.CreateDirectory(dataDir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var url = $"http://127.0.0.1:{HardhatNodeServer.FreePort()}";
            var env = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_NOLOGO"] = "1",
                ["Chain__RpcUrl"] = rpcUrl,
                ["Chain__ChainId"] = HardhatNodeServer.ChainId.ToString(),
                ["Chain__ConfirmationDepth"] = ConfirmationDepth.ToString(),
                ["Database__DataDirectory"] = dataDir,
                ["Custody__DataDirectory"] = dataDir,
                ["Admin__ApiKeySha256"] = rootKeySha256,
                ["Settlement__MaxIntentAge"] = MaxIntentAge,
                ["Collectibles__PublicBaseUrl"] = url,
                // The webhooks phase's receiver is http on 127.0.0.1, which the SSRF guard lets through only with this.
                ["Webhooks__AllowLoopbackHttp"] = "true",
            };
            foreach (var (k, v) in database) env[k] = v;
            var contentRoot = Path.GetDirectoryName(apiDll)!;
            var process = ChildProcess.Start(name, "dotnet", [apiDll, "--urls", url, "--contentRoot", contentRoot], contentRoot, env,
                Path.Combine(logDir, name + ".log"), leftovers);
            var server = new ApiServer(process, url, new ApiClient(http, url));
            try
            {
                await server.WaitUntilHealthyAsync(ct);
                return server;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var tail = process.Tail();
                await server.DisposeAsync();
                last = new InvalidOperationException($"the API ({name}) did not start: {ex.Message}\n{tail}", ex);
                if (!tail.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) break;
            }
        }
        throw last!;
    }

    private async Task WaitUntilHealthyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException("the process exited");
            try
            {
                if ((await Client.SendAsync(HttpMethod.Get, "/health", null, ct: ct, timeout: TimeSpan.FromSeconds(5))).IsSuccess) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("/health did not answer within 120 s");
            await Task.Delay(250, ct);
        }
    }

    /// <summary>The operator (gas payer) gets ether on the local chain, as run.sh does.</summary>
    public async Task<string> FundOperatorAsync(string rootKey, Rpc rpc, CancellationToken ct)
    {
        var address = (await Client.GetAsync("/v1/admin/operator", rootKey, ct))["address"]!.GetValue<string>();
        await rpc.SetBalanceAsync(address, BigInteger.Pow(10, 18) * 10_000, ct);
        return address;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
