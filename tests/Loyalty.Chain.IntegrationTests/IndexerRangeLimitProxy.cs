using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// An HTTP JSON-RPC proxy in front of the real node that refuses eth_getLogs over more than
/// <c>maxRange</c> blocks the way geth and Infura do (code -32005, "query returned more than 10000
/// results"); every other call goes through unchanged. It stands for a rate-limited public provider.
/// </summary>
public sealed class IndexerRangeLimitProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _target;
    private readonly long _maxRange;
    private readonly Task _loop;
    private int _refused;

    public IndexerRangeLimitProxy(string targetUrl, long maxRange)
    {
        _target = targetUrl;
        _maxRange = maxRange;
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
    public int Refused => Volatile.Read(ref _refused);

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
            if (TooWide(request.RootElement))
            {
                Interlocked.Increment(ref _refused);
                var id = request.RootElement.GetProperty("id").GetRawText();
                answer = $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32005,\"message\":\"query returned more than 10000 results\"}}}}";
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

    private bool TooWide(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object || request.GetProperty("method").GetString() != "eth_getLogs") return false;
        var filter = request.GetProperty("params")[0];
        static long Block(JsonElement e) => Convert.ToInt64(e.GetString()![2..], 16);
        return Block(filter.GetProperty("toBlock")) - Block(filter.GetProperty("fromBlock")) + 1 > _maxRange;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _http.Dispose();
    }
}
