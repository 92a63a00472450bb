using System.Text;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Webhooks;

/// <summary>Sends webhook requests through the SSRF guard, with a short timeout and a capped response read.</summary>
public sealed class WebhookHttp : IDisposable
{
    private readonly HttpClient client;
    private readonly WebhookOptions o;

    public WebhookHttp(IOptions<WebhookOptions> options)
    {
        o = options.Value;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // a redirect could lead anywhere; a 3xx is a failed attempt
            ConnectTimeout = o.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            UseProxy = false,
            ConnectCallback = (ctx, ct) => WebhookUrlGuard.ConnectAsync(ctx, o, ct),
        };
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public sealed record Outcome(bool Success, int? StatusCode, string? Error);

    public async Task<Outcome> SendAsync(string url, string messageId, DateTimeOffset timestamp, string signature, string body, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(o.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", messageId);
            request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", signature);
            request.Headers.UserAgent.ParseAdd("Loyalty.Chain-Webhooks/1.0");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var snippet = await ReadCappedAsync(response, cts.Token);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 300 ? new Outcome(true, code, null) : new Outcome(false, code, $"HTTP {code}: {snippet}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(false, null, $"TIMEOUT: no answer within {o.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (ex.InnerException is WebhookRefusedException r)
        {
            return new Outcome(false, null, $"{r.Code}: {r.Message}");
        }
        catch (HttpRequestException ex)
        {
            return new Outcome(false, null, $"CONNECT_FAILED: {ex.Message}");
        }
    }

    private async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[o.MaxResponseBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0) break;
            read += n;
        }
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > 200 ? text[..200] : text;
    }

    public void Dispose() => client.Dispose();
}

/// <summary>
/// One pass: fan new outbox events out to the endpoints subscribed at that moment, then send what is due. Per program,
/// isolated (<see cref="JobIsolation"/>): one program's failure never blocks another. A member's next delivery to an
/// endpoint waits until the one before it is delivered or dead. Re-entrant: a delivery is claimed by its state, and a
/// crash between the send and the record only sends it again (at-least-once).
/// </summary>
public sealed class WebhookDispatcher(LoyaltyDbContext db, IKeyEncryptionKey kek, Transactions.ChainTxFollower follower, WebhookHttp http, IOptions<WebhookOptions> options,
    TimeProvider time, AlertSink alerts, ILogger<WebhookDispatcher> logger)
{
    public const string Step = "webhooks";
    private readonly EnvelopeEncryption envelope = new(kek);
    private WebhookOptions O => options.Value;

    private static readonly WebhookDeliveryStatus[] Open = [WebhookDeliveryStatus.Pending, WebhookDeliveryStatus.Failed];

    /// <summary>
    /// Rounds while any program has work, up to <see cref="WebhookOptions.PassBudget"/>, then <see cref="WebhookOptions.Linger"/>
    /// more for events still arriving. A round visits every program with work once (fan out what is new, send what is due),
    /// so a busy program never makes another wait for its backlog: one program's failure skips that program for the rest of
    /// the pass, and the others go on. A round sends a member's next message only (ordering), so a member with k queued
    /// messages needs k rounds. The programs with work are read again each round: a program whose first event commits
    /// while another drains its backlog is served in the next round, not a pass later.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        await follower.FollowAsync(WithdrawalCompletedOutcome.WithdrawalPurposes, ct);
        var total = 0;
        var started = time.GetTimestamp();
        TimeSpan? idleSince = null;
        var failed = new HashSet<long>();
        while (time.GetElapsedTime(started) < O.PassBudget)
        {
            var round = 0;
            foreach (var programId in await ProgramsWithWorkAsync(ct))
            {
                if (failed.Contains(programId)) continue;
                var n = await alerts.ForProgramAsync<int?>(db, logger, Step, programId, async () =>
                {
                    await FanOutAsync(programId, ct);
                    return await SendDueAsync(programId, ct);
                }, ct);
                if (n is null) failed.Add(programId);
                else round += n.Value;
            }
            total += round;
            if (round > 0) { idleSince = null; continue; }
            idleSince ??= time.GetElapsedTime(started);
            if (total == 0 || time.GetElapsedTime(started) - idleSince >= O.Linger) break;
            await Task.Delay(O.LingerPoll, time, ct);
        }
        return total;
    }

    private async Task<List<long>> ProgramsWithWorkAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var programs = await db.Set<WebhookEvent>().Where(e => !e.FannedOut).Select(e => e.ProgramId)
            .Union(db.Set<WebhookDelivery>().Where(d => Open.Contains(d.Status) && d.NextAttemptAt <= now).Select(d => d.ProgramId))
            .Distinct().ToListAsync(ct);
        programs.Sort();
        return programs;
    }

    private async Task FanOutAsync(long programId, CancellationToken ct)
    {
        while (true)
        {
            var more = await db.InWriteTransactionAsync(async c =>
            {
                var events = await db.Set<WebhookEvent>().Where(e => e.ProgramId == programId && !e.FannedOut).OrderBy(e => e.Id).Take(O.BatchSize).ToListAsync(c);
                if (events.Count == 0) return false;
                var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.ProgramId == programId && e.Enabled).ToListAsync(c);
                foreach (var ev in events)
                {
                    foreach (var ep in endpoints.Where(ep => ep.Subscribes(ev.Type)))
                    {
                        db.Add(new WebhookDelivery
                        {
                            ProgramId = programId, EndpointId = ep.Id, EventId = ev.Id, MemberId = ev.MemberId, Status = WebhookDeliveryStatus.Pending,
                            NextAttemptAt = ev.CreatedAt, CreatedAt = ev.CreatedAt,
                        });
                    }
                    ev.FannedOut = true;
                }
                await db.SaveChangesAsync(c);
                return events.Count == O.BatchSize;
            }, ct);
            db.ChangeTracker.Clear();
            if (!more) return;
        }
    }

    private sealed record Due(WebhookDelivery Delivery, WebhookEvent Event);

    private async Task<int> SendDueAsync(long programId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var deliveries = db.Set<WebhookDelivery>();
        var due = await (
            from d in deliveries
            join ep in db.Set<WebhookEndpoint>() on d.EndpointId equals ep.Id
            join ev in db.Set<WebhookEvent>() on d.EventId equals ev.Id
            where d.ProgramId == programId && ep.Enabled && Open.Contains(d.Status) && d.NextAttemptAt <= now
                  && (d.MemberId == null || !deliveries.Any(p => p.EndpointId == d.EndpointId && p.MemberId == d.MemberId && p.Id < d.Id && Open.Contains(p.Status)))
            orderby d.Id
            select new Due(d, ev)).AsNoTracking().Take(O.BatchSize).ToListAsync(ct);
        if (due.Count == 0) return 0;

        var endpointIds = due.Select(x => x.Delivery.EndpointId).Distinct().ToList();
        var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
        var secrets = new Dictionary<long, List<string>>();
        foreach (var ep in endpoints.Values) secrets[ep.Id] = await WebhookService.SigningSecretsAsync(db, envelope, ep, now, ct);

        var results = new (Due Item, WebhookHttp.Outcome Outcome, DateTime At)[due.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, due.Count), new ParallelOptions { MaxDegreeOfParallelism = O.Parallelism, CancellationToken = ct },
            async (i, c) =>
            {
                var item = due[i];
                var ep = endpoints[item.Delivery.EndpointId];
                var stamp = time.GetUtcNow();
                var signature = WebhookSigner.SignatureHeader(secrets[ep.Id], item.Event.MessageId, stamp, item.Event.Payload);
                using var activity = Telemetry.LoyaltyMeters.Source.StartActivity("webhook.send");
                activity?.SetTag("loyalty.webhook.endpoint", ep.Id);
                var outcome = await http.SendAsync(ep.Url, item.Event.MessageId, stamp, signature, item.Event.Payload, c);
                activity?.SetTag("http.response.status_code", outcome.StatusCode);
                results[i] = (item, outcome, time.GetUtcNow().UtcDateTime);
            });
        await RecordAsync(programId, results, ct);
        return due.Count;
    }

    private async Task RecordAsync(long programId, (Due Item, WebhookHttp.Outcome Outcome, DateTime At)[] results, CancellationToken ct)
    {
        var disabled = new List<WebhookEndpoint>();
        await db.InWriteTransactionAsync(async c =>
        {
            var ids = results.Select(r => r.Item.Delivery.Id).ToList();
            var rows = await db.Set<WebhookDelivery>().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, c);
            var epIds = rows.Values.Select(d => d.EndpointId).Distinct().ToList();
            var endpoints = await db.Set<WebhookEndpoint>().Where(e => epIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, c);
            foreach (var (item, outcome, at) in results)
            {
                if (!rows.TryGetValue(item.Delivery.Id, out var d) || !endpoints.TryGetValue(d.EndpointId, out var ep)) continue; // deleted meanwhile
                d.Attempts = checked(d.Attempts + 1);
                d.LastStatusCode = outcome.StatusCode;
                d.LastError = outcome.Error is { Length: > 512 } e ? e[..512] : outcome.Error;
                if (outcome.Success)
                {
                    (d.Status, d.DeliveredAt, d.NextAttemptAt) = (WebhookDeliveryStatus.Delivered, at, null);
                    (ep.LastDeliveryAt, ep.FailingSince, ep.ConsecutiveDead) = (at, null, 0);
                    continue;
                }
                ep.FailingSince ??= at;
                var next = WebhookBackoff.Next(d.CreatedAt, at, d.Attempts, O, Random.Shared.NextDouble());
                if (next is null)
                {
                    (d.Status, d.NextAttemptAt) = (WebhookDeliveryStatus.Dead, null);
                    ep.ConsecutiveDead = checked(ep.ConsecutiveDead + 1);
                }
                else (d.Status, d.NextAttemptAt) = (WebhookDeliveryStatus.Failed, next);
                if (ep.Enabled && (at - ep.FailingSince.Value >= O.DisableAfterFailingFor || ep.ConsecutiveDead >= O.DisableAfterConsecutiveDead))
                {
                    (ep.Enabled, ep.DisabledReason) = (false, "SUSTAINED_FAILURE");
                    disabled.Add(ep);
                    WebhookOutbox.Enqueue(db, programId, "webhook.endpoint_disabled", null, new { programId, endpointId = ep.Id, reason = ep.DisabledReason });
                }
            }
            await db.SaveChangesAsync(c);
        }, ct);
        db.ChangeTracker.Clear();
        foreach (var ep in disabled)
        {
            WebhookOutbox.Invalidate(programId);
            await alerts.RaiseAsync(WebhookService.DisabledAlert, WebhookService.AlertSubject(programId, ep.Id),
                $"Webhook endpoint {ep.Id} of program {programId} was disabled after sustained failure (failing since {ep.FailingSince:O}, {ep.ConsecutiveDead} dead in a row).", ct);
        }
    }
}
