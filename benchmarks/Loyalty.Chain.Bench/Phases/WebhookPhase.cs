using System.Diagnostics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record WebhookFigures(int Events, int Members, int Clients, int Delivered, int Requests, int Invalid, int Other,
    double Seconds, double EnqueueSeconds, double DrainSeconds, BacklogFigures? Backlog = null);

/// <summary>The backlog run: <see cref="Events"/> tier.changed messages written by a few tier-policy replacements.</summary>
public sealed record BacklogFigures(int Events, int Delivered, double Seconds, double EnqueueSeconds, double DrainSeconds);

/// <summary>
/// Webhook delivery end to end: a program whose members are enrolled before any endpoint exists, then one endpoint for
/// <c>points.earned</c> registered through the API and pointing at a receiver in this process (127.0.0.1, a free port,
/// every signature verified), then N purchases through the API (each earns points, so each enqueues one event). The
/// figure is N over the time from the first event's enqueue (its payload <c>timestamp</c>, the API's clock on this same
/// machine) to the last delivery received. Delivery runs on the service's own schedule (<c>Jobs:WebhooksCron</c>).
/// </summary>
public static class WebhookPhase
{
    public static async Task<WebhookFigures> RunAsync(ApiClient api, string rootKey, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        // A real return window: the points stay pending, nothing settles (no points.settled) and only points.earned is sent.
        var program = await BenchProgram.CreateAsync(api, rootKey, "Bench webhooks", 1_209_600, ct);
        log($"webhooks: program #{program.Id} active; enrolling {s.WebhookMembers} members");
        await program.EnrolAsync(s.WebhookMembers, s.EnrolClients, log, ct);

        await using var receiver = await WebhookReceiver.StartAsync(ct);
        var endpoint = await api.PostAsync(program.P("/webhooks"), program.AdminKey,
            new { url = receiver.Url, eventTypes = new[] { "points.earned" }, description = "bench receiver" }, ct);
        var secret = endpoint["secret"]!.GetValue<string>();
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal)) throw new ApiException("the endpoint's secret does not start with whsec_");
        receiver.Secret = secret;
        log($"webhooks: endpoint #{endpoint["id"]} -> {receiver.Url}; {s.WebhookEvents} purchases from {s.WebhookClients} clients");

        var clock = Stopwatch.StartNew();
        var (_, result) = await program.PurchaseAsync("wh", s.WebhookEvents, s.WebhookMembers, s.WebhookClients, null, ct);
        var sentSeconds = clock.Elapsed.TotalSeconds;
        log($"webhooks: {result.Ok} purchases in {sentSeconds:F1} s; {Earned(receiver)} deliveries so far, waiting for the rest");

        var deadline = DateTime.UtcNow + s.WebhookTimeout;
        var lastLog = Stopwatch.StartNew();
        while (Earned(receiver) < s.WebhookEvents)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Earned(receiver)} of {s.WebhookEvents} points.earned deliveries arrived within {s.WebhookTimeout.TotalSeconds:F0} s " +
                                           $"({receiver.Invalid} requests did not verify)");
            if (lastLog.Elapsed > TimeSpan.FromSeconds(10))
            {
                log($"webhooks: {Earned(receiver)} of {s.WebhookEvents} delivered");
                lastLog.Restart();
            }
            await Task.Delay(100, ct);
        }
        // A short grace for duplicates (at least once) or a bad signature arriving after the last message.
        await Task.Delay(TimeSpan.FromSeconds(2), ct);

        var earnedMessages = receiver.Messages.Values.Where(m => m.Type == "points.earned").ToList();
        var first = earnedMessages.Min(m => m.EnqueuedAt);
        var lastEnqueued = earnedMessages.Max(m => m.EnqueuedAt);
        var lastReceived = earnedMessages.Max(m => m.ReceivedAt);
        var seconds = (lastReceived - first).TotalSeconds;
        var figures = new WebhookFigures(s.WebhookEvents, s.WebhookMembers, s.WebhookClients, earnedMessages.Count, receiver.Requests, receiver.Invalid,
            receiver.Messages.Count - earnedMessages.Count, seconds, (lastEnqueued - first).TotalSeconds, (lastReceived - lastEnqueued).TotalSeconds);
        log($"webhooks: {figures.Delivered} delivered in {seconds:F1} s from the first enqueue = {figures.Delivered / seconds:F1}/s " +
            $"(enqueued over {figures.EnqueueSeconds:F1} s, the last delivered {figures.DrainSeconds:F1} s after the last enqueue); " +
            $"{figures.Requests} requests, {figures.Invalid} did not verify");
        var backlog = await BacklogAsync(api, program, endpoint["id"]!.GetValue<long>(), receiver, s, log, ct);
        return figures with { Requests = receiver.Requests, Invalid = receiver.Invalid, Backlog = backlog };
    }

    /// <summary>
    /// The dispatcher's own rate, not intake's: intake writes one message per request, so the run above measures how fast
    /// purchases came in. Here each tier-policy replacement (one single-level policy "Backlog k" after another) moves every
    /// member to a new tier in one transaction, writing one tier.changed per member at once: Events / Members replacements
    /// give as many messages as the purchases did, k per member in order, queued faster than any delivery.
    /// </summary>
    private static async Task<BacklogFigures> BacklogAsync(ApiClient api, BenchProgram program, long endpointId, WebhookReceiver receiver, BenchSettings s,
        Action<string> log, CancellationToken ct)
    {
        var patched = await api.SendAsync(HttpMethod.Patch, program.P($"/webhooks/{endpointId}"), program.AdminKey,
            new { eventTypes = new[] { "points.earned", "tier.changed" } }, ct: ct);
        if (!patched.IsSuccess) throw new ApiException($"endpoint update refused: {patched.Status} {patched.Text}");
        var rounds = Math.Max(1, s.WebhookEvents / s.WebhookMembers);
        var total = rounds * s.WebhookMembers;
        log($"webhooks: backlog: {rounds} tier-policy replacements, {total} tier.changed messages");
        for (var k = 1; k <= rounds; k++)
        {
            var put = await api.SendAsync(HttpMethod.Put, program.P("/tiers"), program.AdminKey, new
            {
                metric = "points_earned", window = "lifetime", downgrade = "never", levels = new[] { new { name = $"Backlog {k}", threshold = "0" } },
            }, ct: ct);
            if (!put.IsSuccess) throw new ApiException($"tier policy {k} refused: {put.Status} {put.Text}");
        }
        var deadline = DateTime.UtcNow + s.WebhookTimeout;
        while (Count(receiver, "tier.changed") < total)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Count(receiver, "tier.changed")} of {total} tier.changed deliveries arrived within {s.WebhookTimeout.TotalSeconds:F0} s");
            await Task.Delay(100, ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var messages = receiver.Messages.Values.Where(m => m.Type == "tier.changed").ToList();
        DateTime first = messages.Min(m => m.EnqueuedAt), lastEnqueued = messages.Max(m => m.EnqueuedAt), lastReceived = messages.Max(m => m.ReceivedAt);
        var f = new BacklogFigures(total, messages.Count, (lastReceived - first).TotalSeconds, (lastEnqueued - first).TotalSeconds,
            (lastReceived - lastEnqueued).TotalSeconds);
        log($"webhooks: backlog: {f.Delivered} delivered in {f.Seconds:F1} s from the first enqueue = {f.Delivered / f.Seconds:F1}/s " +
            $"(enqueued over {f.EnqueueSeconds:F1} s, the last delivered {f.DrainSeconds:F1} s after the last enqueue); " +
            $"{receiver.Requests} requests in all, {receiver.Invalid} did not verify");
        return f;
    }

    private static int Count(WebhookReceiver receiver, string type) => receiver.Messages.Values.Count(m => m.Type == type);

    private static int Earned(WebhookReceiver receiver) => receiver.Messages.Values.Count(m => m.Type == "points.earned");
}
