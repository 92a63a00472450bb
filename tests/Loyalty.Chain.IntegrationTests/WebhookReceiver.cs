using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>scripts/webhooks/receiver.mjs on 127.0.0.1: verifies signatures with node:crypto and records every request.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Process process;
    private readonly HttpClient http = new();
    public int Port { get; }

    private WebhookReceiver(Process process, int port) => (this.process, Port) = (process, port);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var psi = new ProcessStartInfo(RepoPaths.NodeExecutable, Path.Combine(RepoPaths.Root, "scripts", "webhooks", "receiver.mjs"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("receiver did not start");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20))
                   ?? throw new InvalidOperationException("receiver printed nothing: " + await process.StandardError.ReadToEndAsync());
        return new WebhookReceiver(process, JsonNode.Parse(line)!["port"]!.GetValue<int>());
    }

    public string Url(string sink) => $"http://127.0.0.1:{Port}/hooks/{sink}";

    /// <summary>Sets a sink's secrets; it fails its first <paramref name="failFirst"/> requests (or all), and answers each after <paramref name="delayMs"/>.</summary>
    public async Task ConfigureAsync(string sink, string[] secrets, int failFirst = 0, bool alwaysFail = false, int delayMs = 0)
    {
        using var r = await http.PostAsJsonAsync($"http://127.0.0.1:{Port}/control/{sink}", new { secrets, failFirst, alwaysFail, delayMs, seen = 0 });
        r.EnsureSuccessStatusCode();
    }

    public async Task<List<JsonNode>> ReceivedAsync(string sink) =>
        JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{Port}/received/{sink}"))!.AsArray().Select(x => x!).ToList();

    /// <summary>Requests the receiver accepted (2xx) with a verified signature, first receipt per message.</summary>
    public async Task<List<JsonNode>> AcceptedAsync(string sink) =>
        (await ReceivedAsync(sink)).Where(x => x["status"]!.GetValue<int>() == 204).DistinctBy(x => x["id"]!.GetValue<string>()).ToList();

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
