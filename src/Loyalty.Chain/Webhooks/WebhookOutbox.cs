using System.Collections.Concurrent;
using System.Text.Json;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Webhooks;

/// <summary>
/// The one way code emits a webhook event: a row added to the caller's DbContext, so it commits (or rolls back) with
/// the change it reports. No SaveChanges here. The dispatcher fans the row out to deliveries later.
/// </summary>
/// <remarks>
/// Intake runs at hundreds of events per second, and most programs have no endpoint: the set of types a program's
/// enabled endpoints take is cached for a few seconds and nothing is written when no endpoint wants the type. The
/// API invalidates the cache on every endpoint change; another instance sees the change within the cache time.
/// </remarks>
public static class WebhookOutbox
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Set by the host (<see cref="WebhookOptions.SubscriptionCacheFor"/>).</summary>
    public static TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(5);

    private sealed record Subscriptions(bool All, HashSet<string> Types, long LoadedAt);
    private static readonly ConcurrentDictionary<(string Db, long ProgramId), Subscriptions> Cache = new();

    public static void Enqueue(LoyaltyDbContext db, long programId, string type, long? memberId, object data)
    {
        if (!WebhookEventCatalog.IsKnown(type)) throw new ArgumentException($"unknown webhook event type {type}", nameof(type));
        if (!IsSubscribed(db, programId, type)) return;
        var now = DateTime.UtcNow;
        var payload = JsonSerializer.Serialize(new { type, timestamp = now, data }, Json);
        db.Set<WebhookEvent>().Add(new WebhookEvent
        {
            ProgramId = programId, MessageId = WebhookSigner.NewMessageId(), Type = type, MemberId = memberId, Payload = payload, CreatedAt = now,
        });
    }

    public static Task EnqueueAsync(LoyaltyDbContext db, long programId, string type, long? memberId, object data)
    {
        Enqueue(db, programId, type, memberId, data);
        return Task.CompletedTask;
    }

    /// <summary>Drops the cached subscription set of a program (every database), so the next event reads it afresh.</summary>
    public static void Invalidate(long programId)
    {
        foreach (var key in Cache.Keys.Where(k => k.ProgramId == programId).ToList()) Cache.TryRemove(key, out _);
    }

    /// <summary>Whether an event of this type would be written (lets a caller skip building an expensive payload).</summary>
    public static bool IsSubscribed(LoyaltyDbContext db, long programId, string type)
    {
        var key = (db.Database.GetConnectionString() ?? "", programId);
        var now = Environment.TickCount64;
        if (!Cache.TryGetValue(key, out var subs) || now - subs.LoadedAt > (long)CacheFor.TotalMilliseconds)
        {
            // Synchronous on purpose: Enqueue is called from synchronous spots inside write transactions. One indexed read
            // every few seconds per program.
            var rows = db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.ProgramId == programId && e.Enabled).Select(e => e.EventTypes).ToList();
            subs = new Subscriptions(rows.Any(r => r.Length == 0), rows.SelectMany(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(), now);
            Cache[key] = subs;
        }
        return subs.All || subs.Types.Contains(type);
    }
}
