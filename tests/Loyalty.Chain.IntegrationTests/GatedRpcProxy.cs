using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// A JSON-RPC proxy in front of the real node that can hold back the eth_call reading one address's balanceOf
/// until the test releases it: it pins a request between its chain reads and its write, so a race can be
/// played in a chosen order. Everything else goes through unchanged.
/// </summary>
public sealed class GatedRpcProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _target;
    private readonly Task _loop;
    private volatile string? _holdFor;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GatedRpcProxy(string targetUrl)
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

    /// <summary>Holds the next balanceOf(<paramref name="address"/>) call; the returned task completes once one is held.</summary>
    public Task HoldBalanceOf(string address)
    {
        _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _holdFor = address.ToLowerInvariant()[2..];
        return _held.Task;
    }

    public void Release()
    {
        _holdFor = null;
        _release.TrySetResult();
    }

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
            var hold = _holdFor;
            // balanceOf(address) is selector 0x70a08231 followed by the address, left-padded.
            if (hold is not null && body.Contains("\"eth_call\"") && body.Contains("0x70a08231") && body.ToLowerInvariant().Contains(hold))
            {
                _held.TrySetResult();
                await _release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            using var forwarded = await _http.PostAsync(_target, new StringContent(body, Encoding.UTF8, "application/json"));
            var bytes = await forwarded.Content.ReadAsByteArrayAsync();
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

    public async ValueTask DisposeAsync()
    {
        Release();
        _listener.Stop();
        _listener.Close();
        await _loop;
        _http.Dispose();
    }
}
