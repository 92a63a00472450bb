using System.Globalization;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Standard Webhooks endpoints of a program: registration, secret rotation, delivery log and redelivery.</summary>
public static class WebhooksApi
{
    public sealed record CreateRequest(string? Url, List<string?>? EventTypes, string? Description);
    public sealed record UpdateRequest(string? Url, List<string?>? EventTypes, bool? Enabled);
    public sealed record EndpointView(long Id, string Url, string[] EventTypes, bool Enabled, string? Description, string? DisabledReason,
        DateTime CreatedAt, DateTime? LastDeliveryAt, DateTime? FailingSince);
    public sealed record CreatedView(long Id, string Url, string[] EventTypes, bool Enabled, DateTime CreatedAt, string Secret);
    public sealed record RotatedView(string Secret, DateTime PreviousSecretValidUntil);
    public sealed record DeliveryView(long Id, string MessageId, string EventType, long? MemberId, string Status, int Attempts, int? LastStatusCode,
        string? LastError, DateTime? NextAttemptAt, DateTime CreatedAt, DateTime? DeliveredAt);
    public sealed record DeliveriesPage(List<DeliveryView> Items, string? Next);

    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/webhooks").WithTags("Webhooks");
        group.MapGet("/event-types", () => TypedResults.Ok(WebhookEventCatalog.All)).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("webhooks");
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin);
        group.MapGet("/{id:long}", GetAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPatch("/{id:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("webhook-update");
        group.MapDelete("/{id:long}", DeleteAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("webhook-delete");
        group.MapPost("/{id:long}/rotate-secret", RotateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("webhook-rotate");
        group.MapGet("/{id:long}/deliveries", DeliveriesAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/{id:long}/deliveries/{deliveryId:long}/redeliver", RedeliverAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("webhook-redeliver");
        return group;
    }

    private static async Task<Created<CreatedView>> CreateAsync(HttpContext http, CreateRequest r, WebhookService webhooks, CancellationToken ct)
    {
        var (e, secret) = await webhooks.CreateAsync(http.Program().Id, r.Url, r.EventTypes, r.Description, ct);
        return TypedResults.Created($"/v1/programs/{e.ProgramId}/webhooks/{e.Id}", new CreatedView(e.Id, e.Url, Types(e), e.Enabled, e.CreatedAt, secret));
    }

    private static async Task<Ok<List<EndpointView>>> ListAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        var rows = await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.ProgramId == id).OrderBy(e => e.Id).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(View).ToList());
    }

    private static async Task<Ok<EndpointView>> GetAsync(HttpContext http, long id, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Ok(View(await webhooks.GetAsync(http.Program().Id, id, ct)));

    private static async Task<Ok<EndpointView>> UpdateAsync(HttpContext http, long id, UpdateRequest r, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Ok(View(await webhooks.UpdateAsync(http.Program().Id, id, r.Url, r.EventTypes, r.Enabled, ct)));

    private static async Task<NoContent> DeleteAsync(HttpContext http, long id, WebhookService webhooks, CancellationToken ct)
    {
        await webhooks.DeleteAsync(http.Program().Id, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<RotatedView>> RotateAsync(HttpContext http, long id, WebhookService webhooks, CancellationToken ct)
    {
        var (secret, until) = await webhooks.RotateAsync(http.Program().Id, id, ct);
        return TypedResults.Ok(new RotatedView(secret, until));
    }

    private static async Task<Ok<DeliveriesPage>> DeliveriesAsync(HttpContext http, long id, string? status, int? limit, string? before,
        WebhookService webhooks, LoyaltyDbContext db, CancellationToken ct)
    {
        var endpoint = await webhooks.GetAsync(http.Program().Id, id, ct);
        var take = limit ?? 50;
        if (take is < 1 or > 200) throw new LoyaltyException("INVALID_LIMIT", "limit must be 1-200");
        long beforeId = long.MaxValue;
        if (before is not null && !(long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out beforeId) && beforeId > 0))
            throw new LoyaltyException("INVALID_CURSOR", "before must be a next value from an earlier page");
        WebhookDeliveryStatus? wanted = status switch
        {
            null => null,
            "pending" => WebhookDeliveryStatus.Pending,
            "failed" => WebhookDeliveryStatus.Failed,
            "delivered" => WebhookDeliveryStatus.Delivered,
            "dead" => WebhookDeliveryStatus.Dead,
            _ => throw new LoyaltyException("INVALID_STATUS", "status must be pending, failed, delivered or dead"),
        };
        var q = from d in db.Set<WebhookDelivery>().AsNoTracking()
                join ev in db.Set<WebhookEvent>() on d.EventId equals ev.Id
                where d.EndpointId == endpoint.Id && d.Id < beforeId && (wanted == null || d.Status == wanted)
                orderby d.Id descending
                select new { d, ev.MessageId, ev.Type };
        var rows = await q.Take(take + 1).ToListAsync(ct);
        var items = rows.Take(take).Select(x => new DeliveryView(x.d.Id, x.MessageId, x.Type, x.d.MemberId, x.d.Status.ToString().ToLowerInvariant(),
            x.d.Attempts, x.d.LastStatusCode, x.d.LastError, x.d.NextAttemptAt, x.d.CreatedAt, x.d.DeliveredAt)).ToList();
        var next = rows.Count > take ? items[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new DeliveriesPage(items, next));
    }

    private static async Task<Accepted> RedeliverAsync(HttpContext http, long id, long deliveryId, WebhookService webhooks, CancellationToken ct)
    {
        await webhooks.RedeliverAsync(http.Program().Id, id, deliveryId, ct);
        return TypedResults.Accepted((string?)null);
    }

    private static string[] Types(WebhookEndpoint e) => e.EventTypes.Length == 0 ? ["*"] : [.. e.Types];

    private static EndpointView View(WebhookEndpoint e) =>
        new(e.Id, e.Url, Types(e), e.Enabled, e.Description, e.DisabledReason, e.CreatedAt, e.LastDeliveryAt, e.FailingSince);
}
