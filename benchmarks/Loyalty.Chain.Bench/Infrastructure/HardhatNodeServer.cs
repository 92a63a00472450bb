using System.Net;
using System.Net.Sockets;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>
/// `hardhat node --hostname 127.0.0.1 --port FREE`, with automine left on and interval mining added, so a lone
/// transaction is mined at once (the naive baseline) and empty blocks keep coming (confirmation depth).
/// </summary>
public sealed class HardhatNodeServer : IAsyncDisposable
{
    public const int ChainId = 31337;
    public const int IntervalMiningMs = 1000;

    private readonly ChildProcess _process;

    private HardhatNodeServer(ChildProcess process, Rpc rpc)
    {
        _process = process;
        Rpc = rpc;
    }

    public Rpc Rpc { get; }
    public string RpcUrl => Rpc.Url;
    public bool Automine { get; private set; }

    public static async Task<HardhatNodeServer> StartAsync(string root, string logDir, Leftovers leftovers, HttpClient http, CancellationToken ct)
    {
        var node = NodeExecutable(root);
        var cli = Path.Combine(root, "node_modules", "hardhat", "dist", "src", "cli.js");
        if (!File.Exists(cli)) throw new InvalidOperationException($"{cli} is missing: run 'npm ci' with Node 22 first (scripts/bench.sh does)");
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            // Hardhat prints its well-known development keys at start: they stay out of the log all the same.
            var process = ChildProcess.Start("hardhat-node", node, [cli, "node", "--hostname", "127.0.0.1", "--port", port.ToString()],
                root, new Dictionary<string, string>(), Path.Combine(logDir, "hardhat-node.log"), leftovers,
                line => !line.Contains("Private Key", StringComparison.OrdinalIgnoreCase));
            var server = new HardhatNodeServer(process, new Rpc(http, $"http://127.0.0.1:{port}"));
            try
            {
                await server.WaitUntilReadyAsync(ct);
                await server.ConfigureMiningAsync(ct);
                return server;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                last = new InvalidOperationException($"the Hardhat node on port {port} did not start: {ex.Message}\n{process.Tail()}", ex);
                await server.DisposeAsync();
            }
        }
        throw last!;
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException("the node exited");
            try
            {
                if (await Rpc.CallAsync("eth_chainId", ct: ct) is not null) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no answer to eth_chainId within 90 s");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>Both on at once: a block per transaction (automine) and an empty block every second (interval).</summary>
    private async Task ConfigureMiningAsync(CancellationToken ct)
    {
        await Rpc.CallAsync("evm_setAutomine", [true], ct);
        await Rpc.CallAsync("evm_setIntervalMining", [IntervalMiningMs], ct);
        Automine = (await Rpc.CallAsync("hardhat_getAutomine", ct: ct))?.GetValue<bool>() ?? false;
        if (!Automine) throw new InvalidOperationException("automine is off after evm_setIntervalMining");
    }

    public async Task<long> BlockNumberAsync(CancellationToken ct) => (long)Rpc.Quantity(await Rpc.CallAsync("eth_blockNumber", ct: ct));

    public static string NodeExecutable(string root)
    {
        var local = Path.Combine(root, ".tools", "node22", "node_modules", "node", "bin", "node");
        return File.Exists(local) ? local : "node";
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
