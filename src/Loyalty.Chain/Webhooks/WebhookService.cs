using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Webhooks;

/// <summary>Endpoint management: create (secret shown once), change, delete, rotate, redeliver.</summary>
public sealed class WebhookService(LoyaltyDbContext db, IKeyEncryptionKey kek, IOptions<WebhookOptions> options, TimeProvider time, AlertSink alerts)
{
    public const string DisabledAlert = "WEBHOOK_ENDPOINT_DISABLED";
    public const int MaxEndpointsPerProgram = 20;
    private readonly EnvelopeEncryption envelope = new(kek);
    private WebhookOptions O => options.Value;

    public static string AlertSubject(long programId, long endpointId) => $"webhook:program:{programId}:endpoint:{endpointId}";

    public static string NormalizeTypes(IReadOnlyList<string?>? types)
    {
        if (types is null || types.Count == 0 || types is [ "*" ]) return "";
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in types)
        {
            if (t is null || !WebhookEventCatalog.IsKnown(t))
                throw new LoyaltyException("WEBHOOK_UNKNOWN_EVENT_TYPE", $"unknown event type '{t}' (see GET /webhooks/event-types)");
            set.Add(t);
        }
        return string.Join(' ', set);
    }

    public async Task<WebhookEndpoint> GetAsync(long programId, long id, CancellationToken ct) =>
        await db.Set<WebhookEndpoint>().SingleOrDefaultAsync(e => e.Id == id && e.ProgramId == programId, ct)
        ?? throw new LoyaltyException("UNKNOWN_WEBHOOK", "no such webhook endpoint in this program", 404);

    public async Task<(WebhookEndpoint Endpoint, string Secret)> CreateAsync(long programId, string? url, IReadOnlyList<string?>? types, string? description,
        CancellationToken ct)
    {
        var uri = WebhookUrlGuard.Validate(url, O);
        var typeList = NormalizeTypes(types);
        if (description is { Length: > 256 }) throw new LoyaltyException("INVALID_DESCRIPTION", "description is at most 256 characters");
        var secret = WebhookSigner.NewSecret();
        var now = time.GetUtcNow().UtcDateTime;
        var endpoint = await db.InWriteTransactionAsync(async c =>
        {
            if (await db.Set<WebhookEndpoint>().CountAsync(e => e.ProgramId == programId, c) >= MaxEndpointsPerProgram)
                throw new LoyaltyException("WEBHOOK_LIMIT", $"a program has at most {MaxEndpointsPerProgram} endpoints", 409);
            var e = new WebhookEndpoint { ProgramId = programId, Url = uri.AbsoluteUri, EventTypes = typeList, Description = description, CreatedAt = now, SecretGeneration = 1 };
            db.Add(e);
            await db.SaveChangesAsync(c);
            await AddSecretAsync(e, secret, now, c);
            return e;
        }, ct);
        WebhookOutbox.Invalidate(programId);
        return (endpoint, secret);
    }

    private async Task AddSecretAsync(WebhookEndpoint e, string secret, DateTime now, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            var enc = await envelope.EncryptAsync(bytes, WebhookSecret.Purpose(e.ProgramId, e.Id, e.SecretGeneration), ct);
            db.Add(new WebhookSecret { EndpointId = e.Id, Generation = e.SecretGeneration, Secret = enc, CreatedAt = now });
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public async Task<WebhookEndpoint> UpdateAsync(long programId, long id, string? url, IReadOnlyList<string?>? types, bool? enabled, CancellationToken ct)
    {
        var uri = url is null ? null : WebhookUrlGuard.Validate(url, O);
        var typeList = types is null ? null : NormalizeTypes(types);
        var reenabled = false;
        var endpoint = await db.InWriteTransactionAsync(async c =>
        {
            var e = await GetAsync(programId, id, c);
            if (uri is not null) e.Url = uri.AbsoluteUri;
            if (typeList is not null) e.EventTypes = typeList;
            if (enabled is { } on && on != e.Enabled)
            {
                e.Enabled = on;
                e.DisabledReason = on ? null : "DISABLED_BY_ADMIN";
                if (on) (e.FailingSince, e.ConsecutiveDead, reenabled) = (null, 0, true);
            }
            await db.SaveChangesAsync(c);
            return e;
        }, ct);
        WebhookOutbox.Invalidate(programId);
        if (reenabled) await alerts.ResolveAsync(DisabledAlert, AlertSubject(programId, id), ct);
        return endpoint;
    }

    public async Task DeleteAsync(long programId, long id, CancellationToken ct)
    {
        await db.InWriteTransactionAsync(async c =>
        {
            var e = await GetAsync(programId, id, c);
            await db.Set<WebhookDelivery>().Where(d => d.EndpointId == e.Id).ExecuteDeleteAsync(c);
            await db.Set<WebhookSecret>().Where(s => s.EndpointId == e.Id).ExecuteDeleteAsync(c);
            db.Remove(e);
            await db.SaveChangesAsync(c);
        }, ct);
        WebhookOutbox.Invalidate(programId);
    }

    /// <summary>A new current secret; the ones before it keep signing for <see cref="WebhookOptions.PreviousSecretOverlap"/>.</summary>
    public async Task<(string Secret, DateTime PreviousValidUntil)> RotateAsync(long programId, long id, CancellationToken ct)
    {
        var secret = WebhookSigner.NewSecret();
        var now = time.GetUtcNow().UtcDateTime;
        var until = now + O.PreviousSecretOverlap;
        await db.InWriteTransactionAsync(async c =>
        {
            var e = await GetAsync(programId, id, c);
            await db.Set<WebhookSecret>().Where(s => s.EndpointId == e.Id && s.ValidUntil == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.ValidUntil, until), c);
            await db.Set<WebhookSecret>().Where(s => s.EndpointId == e.Id && s.ValidUntil != null && s.ValidUntil < now).ExecuteDeleteAsync(c);
            e.SecretGeneration = checked(e.SecretGeneration + 1);
            await db.SaveChangesAsync(c);
            await AddSecretAsync(e, secret, now, c);
        }, ct);
        return (secret, until);
    }

    /// <summary>The secrets that sign now, current first.</summary>
    public static async Task<List<string>> SigningSecretsAsync(LoyaltyDbContext db, EnvelopeEncryption envelope, WebhookEndpoint e, DateTime now, CancellationToken ct)
    {
        var rows = await db.Set<WebhookSecret>().AsNoTracking().Where(s => s.EndpointId == e.Id && (s.ValidUntil == null || s.ValidUntil > now))
            .OrderByDescending(s => s.Generation).ToListAsync(ct);
        var result = new List<string>(rows.Count);
        foreach (var r in rows)
        {
            var bytes = await envelope.DecryptAsync(r.Secret, WebhookSecret.Purpose(e.ProgramId, e.Id, r.Generation), ct);
            result.Add(Encoding.UTF8.GetString(bytes));
            CryptographicOperations.ZeroMemory(bytes);
        }
        return result;
    }

    public async Task RedeliverAsync(long programId, long endpointId, long deliveryId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await db.InWriteTransactionAsync(async c =>
        {
            await GetAsync(programId, endpointId, c);
            var d = await db.Set<WebhookDelivery>().SingleOrDefaultAsync(x => x.Id == deliveryId && x.EndpointId == endpointId, c)
                    ?? throw new LoyaltyException("UNKNOWN_WEBHOOK_DELIVERY", "no such delivery for this endpoint", 404);
            (d.Status, d.NextAttemptAt, d.DeliveredAt) = (WebhookDeliveryStatus.Pending, now, null);
            // A fresh retry window from now, so a dead delivery gets its full backoff again.
            d.CreatedAt = now;
            d.Attempts = 0;
            await db.SaveChangesAsync(c);
        }, ct);
    }
}
