using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// An HTTP JSON-RPC proxy in front of the real node that acts like a lagging or load-balanced provider for chosen
/// transactions: eth_getTransactionReceipt and eth_getTransactionByHash of a hidden hash answer null although the
/// transaction is mined (and the nonce at the safe block says so). Every other call goes through unchanged.
/// </summary>
public sealed class LaggingRpcProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HashLookups = ["eth_getTransactionReceipt", "eth_getTransactionByHash"];
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentDictionary<string, bool> _hidden = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _target;
    private readonly Task _loop;
    private int _hiddenAnswers;

    public LaggingRpcProxy(string targetUrl)
    {
        _target = targetUrl;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }
    /// <summary>How many lookups were answered null because their hash was hidden.</summary>
    public int HiddenAnswers => Volatile.Read(ref _hiddenAnswers);

    public void Hide(string hash) => _hidden[hash] = true;
    public void RevealAll() => _hidden.Clear();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            string answer;
            using var request = JsonDocument.Parse(body);
            if (IsHidden(request.RootElement))
            {
                Interlocked.Increment(ref _hiddenAnswers);
                answer = $"{{\"jsonrpc\":\"2.0\",\"id\":{request.RootElement.GetProperty("id").GetRawText()},\"result\":null}}";
            }
            else
            {
                using var forwarded = await _http.PostAsync(_target, new StringContent(body, Encoding.UTF8, "application/json"));
                answer = await forwarded.Content.ReadAsStringAsync();
            }
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception)
        {
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private bool IsHidden(JsonElement request) =>
        request.ValueKind == JsonValueKind.Object
        && HashLookups.Contains(request.GetProperty("method").GetString() ?? "")
        && request.GetProperty("params")[0].GetString() is { } hash && _hidden.ContainsKey(hash);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _http.Dispose();
    }
}
