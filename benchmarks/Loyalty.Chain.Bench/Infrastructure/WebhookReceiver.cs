using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>
/// A Standard Webhooks receiver in the bench process: Kestrel on 127.0.0.1 and a port the OS picks. Every request is
/// verified here (HMAC-SHA256 with the base64-decoded secret after <c>whsec_</c>, over <c>id.timestamp.body</c>, against
/// each <c>v1,</c> entry of <c>webhook-signature</c>), independently of the service's signing, and answered 204 when it
/// holds, 401 when not. The first receipt of each message id is recorded with its time and the event's own timestamp.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Message(string Type, DateTime EnqueuedAt, DateTime ReceivedAt);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Message> _messages = new();
    private byte[]? _key;
    private int _requests, _invalid;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public int Requests => Volatile.Read(ref _requests);
    public int Invalid => Volatile.Read(ref _invalid);
    public IReadOnlyDictionary<string, Message> Messages => _messages;

    /// <summary>The endpoint's secret, from its registration; requests before it is set do not verify.</summary>
    public string Secret
    {
        set => _key = Convert.FromBase64String(value.StartsWith("whsec_", StringComparison.Ordinal) ? value[6..] : value);
    }

    public static async Task<WebhookReceiver> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", receiver.HandleAsync);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.TrimEnd('/') + "/hooks";
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var id = http.Request.Headers["webhook-id"].ToString();
        var timestamp = http.Request.Headers["webhook-timestamp"].ToString();
        var at = DateTime.UtcNow;
        Interlocked.Increment(ref _requests);
        if (!Verify(id, timestamp, body, http.Request.Headers["webhook-signature"].ToString()))
        {
            Interlocked.Increment(ref _invalid);
            return Results.StatusCode(401);
        }
        if (!_messages.ContainsKey(id))
        {
            using var doc = JsonDocument.Parse(body);
            var type = doc.RootElement.GetProperty("type").GetString() ?? "";
            var enqueued = doc.RootElement.GetProperty("timestamp").GetDateTime().ToUniversalTime();
            _messages.TryAdd(id, new Message(type, enqueued, at));
        }
        return Results.NoContent();
    }

    private bool Verify(string id, string timestamp, byte[] body, string header)
    {
        var key = _key;
        if (key is null || id.Length == 0 || !long.TryParse(timestamp, out var seconds)) return false;
        if (Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300) return false;
        using var hmac = new HMACSHA256(key);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        hmac.TransformBlock(prefix, 0, prefix.Length, null, 0);
        hmac.TransformFinalBlock(body, 0, body.Length);
        var expected = hmac.Hash!;
        foreach (var entry in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal)) continue;
            var given = new byte[64];
            if (Convert.TryFromBase64String(entry[3..], given, out var n) && n == expected.Length
                && CryptographicOperations.FixedTimeEquals(given.AsSpan(0, n), expected)) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _app.StopAsync(stop.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
