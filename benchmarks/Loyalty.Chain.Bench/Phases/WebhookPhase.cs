using System.Diagnostics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record WebhookFigures(int Events, int Members, int Clients, int Delivered, int Requests, int Invalid, int Other,
    double Seconds, double EnqueueSeconds, double DrainSeconds);

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
        return figures;
    }

    private static int Earned(WebhookReceiver receiver) => receiver.Messages.Values.Count(m => m.Type == "points.earned");
}
