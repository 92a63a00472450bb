using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// A real Hardhat node (`hardhat --config tests/hardhat-node.config.mjs node --hostname 127.0.0.1 --port FREE`), started for a test fixture and killed with its
/// whole process tree on dispose. Its console output is kept in memory (not logged) so a failed start
/// can be explained.
/// </summary>
public sealed class HardhatNode : IAsyncDisposable
{
    // Hardhat's well-known development accounts (public test keys of the "test ... junk" mnemonic).
    public static readonly string[] DevKeys =
    [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    ];

    public const int ChainId = 31337;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HardhatNode(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }
    public string RpcUrl => $"http://127.0.0.1:{Port}";

    public static async Task<HardhatNode> StartAsync(CancellationToken ct = default)
    {
        Exception? last = null;
        // A port picked free can be taken before the node binds it; try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo(RepoPaths.NodeExecutable)
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { RepoPaths.HardhatCli, "--config", RepoPaths.NodeConfig, "node", "--hostname", "127.0.0.1", "--port", port.ToString() })
                psi.ArgumentList.Add(a);
            var nodeDir = Path.GetDirectoryName(RepoPaths.NodeExecutable);
            if (!string.IsNullOrEmpty(nodeDir))
                psi.Environment["PATH"] = nodeDir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the Hardhat node process");
            var node = new HardhatNode(process, port);
            process.OutputDataReceived += (_, e) => node.Append(e.Data);
            process.ErrorDataReceived += (_, e) => node.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(60), ct);
                return node;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                last = new InvalidOperationException($"the Hardhat node (--hostname 127.0.0.1 --port {port}) did not start: {ex.Message}\n{node.Output}", ex);
                await node.DisposeAsync();
            }
        }
        throw last!;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public async Task<string> RpcAsync(string method, string paramsJson = "[]", CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var body = $"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"{method}\",\"params\":{paramsJson}}}";
        using var response = await http.PostAsync(RpcUrl, new StringContent(body, Encoding.UTF8, "application/json"), ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"exited with code {_process.ExitCode}");
            try
            {
                var answer = await RpcAsync("eth_chainId", ct: ct);
                if (answer.Contains("\"result\"")) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no answer to eth_chainId");
            await Task.Delay(100, ct);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            // Keep the tail only: the node logs every RPC call.
            if (_output.Length > 64_000) _output.Remove(0, 32_000);
            _output.AppendLine(line);
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException) { }
        _process.Dispose();
    }
}
