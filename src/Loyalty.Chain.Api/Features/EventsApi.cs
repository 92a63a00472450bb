using System.Text.Json;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Intake;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Shop events: purchases, returns and brand-defined actions.</summary>
public static class EventsApi
{
    /// <summary>500 line items fit comfortably; anything bigger is not an event.</summary>
    public const int MaxEventBytes = 256 * 1024;

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/events").WithTags("Events");
        group.MapGet("/", (HttpContext http, Members.EventLog log, string? type, string? from, string? to, string? limit, string? cursor,
                CancellationToken ct) => ListAsync(http, log, new Members.EventLogFilterText(type, from, to, limit, cursor), ct))
            .RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPost("/", AcceptAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency(EventIntakeService.IdempotencyScope, inTransaction: true);
        return group;
    }

    /// <summary>The program's event log, newest first, with what each event earned.</summary>
    private static async Task<Ok<Members.EventLogPage>> ListAsync(HttpContext http, Members.EventLog log, Members.EventLogFilterText filter,
        CancellationToken ct) => TypedResults.Ok(await log.ListAsync(http.Program().Id, null, filter, ct));

    /// <summary>
    /// Accepts one event. With an Idempotency-Key the first result is stored and replayed (200) for the same
    /// body, and a different body under the same key is a 422. Without one, the (type, eventId) pair still
    /// makes the event count once.
    /// </summary>
    private static async Task<Results<Created<IntakeResponse>, Ok<IntakeResponse>>> AcceptAsync(HttpContext http,
        EventIntakeService intake, CancellationToken ct)
    {
        // Read raw: the bounded reader refuses oversize bodies with a code before any JSON is parsed.
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxEventBytes)
                throw new LoyaltyException("BODY_TOO_LARGE", $"an event body is at most {MaxEventBytes / 1024} KiB", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        EventRequest request;
        try
        {
            request = JsonSerializer.Deserialize<EventRequest>(bytes, IntakeResponse.Json)
                      ?? throw new LoyaltyException("MALFORMED_JSON", "the body must be a JSON object");
        }
        catch (JsonException)
        {
            throw new LoyaltyException("MALFORMED_JSON", "the body is not valid JSON for an event");
        }
        var program = http.Program();
        var response = await intake.AcceptAsync(program, request, http.Idempotency(), ct);
        if (response.Replayed)
        {
            http.MarkReplayed();
            return TypedResults.Ok(response);
        }
        return TypedResults.Created($"/v1/programs/{program.Id}/events/{response.Id}", response);
    }
}
