using System.Net;
using System.Text;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// An HTTP JSON-RPC proxy on 127.0.0.1 in front of the real node: each subclass decides, per request, to answer in
/// the node's place (a lagging, range-limited or slow provider) or to let it through, perhaps after a wait.
/// </summary>
public abstract class JsonRpcProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http;
    private readonly string _target;
    private readonly Task _loop;

    protected JsonRpcProxy(string targetUrl, TimeSpan timeout)
    {
        _target = targetUrl;
        _http = new HttpClient { Timeout = timeout };
        Url = $"http://127.0.0.1:{HardhatNode.FreePort()}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    /// <summary>The answer to send instead of the node's, or null to forward the request (after any wait).</summary>
    protected abstract Task<string?> InterceptAsync(string body);

    /// <summary>Lets held requests go before the listener stops.</summary>
    protected virtual void OnDisposing() { }

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
            byte[] bytes;
            if (await InterceptAsync(body) is { } answer) bytes = Encoding.UTF8.GetBytes(answer);
            else
            {
                using var forwarded = await _http.PostAsync(_target, new StringContent(body, Encoding.UTF8, "application/json"));
                bytes = await forwarded.Content.ReadAsByteArrayAsync();
            }
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
        OnDisposing();
        _listener.Stop();
        _listener.Close();
        await _loop;
        _http.Dispose();
        GC.SuppressFinalize(this);
    }
}
