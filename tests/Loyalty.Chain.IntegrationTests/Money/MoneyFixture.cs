using System.Net;
using System.Text;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests.Money;

/// <summary>A program with small, known caps, two burn attempts and a fast indexer.</summary>
public sealed class MoneyFixture : ProgramFixture
{
    public const long MaxPointsPerEvent = 1_000_000;
    public const long MaxPointsPerMember = 3_000_000;

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Limits:MaxPointsPerEvent"] = MaxPointsPerEvent.ToString(),
        ["Limits:MaxPointsPerMember"] = MaxPointsPerMember.ToString(),
        ["Redemptions:MaxBurnAttempts"] = "2",
        ["Indexer:Interval"] = "00:00:01",
        ["Collectibles:PublicBaseUrl"] = "http://localhost",
    };
}

/// <summary>
/// An HTTP forwarder in front of the node that can hold every eth_call until the test lets it go: a node that is slow
/// on exactly the read a redemption makes.
/// </summary>
public sealed class HeldCallProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _client = new();
    private readonly string _target;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldCallProxy(string targetUrl)
    {
        _target = targetUrl;
        Port = HardhatNode.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public volatile bool Hold = true;
    /// <summary>Completes when the first eth_call arrived and is being held.</summary>
    public TaskCompletionSource CallHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch { return; }
            _ = ForwardAsync(context);
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        try
        {
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            if (Hold && body.Contains("\"eth_call\"", StringComparison.Ordinal))
            {
                CallHeld.TrySetResult();
                await _release.Task;
            }
            using var answer = await _client.PostAsync(_target, new StringContent(body, Encoding.UTF8, "application/json"));
            var bytes = await answer.Content.ReadAsByteArrayAsync();
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch
        {
            try { context.Response.Abort(); } catch { }
        }
    }

    public ValueTask DisposeAsync()
    {
        Release();
        try { _listener.Stop(); } catch { }
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
