using System.Text.Json.Nodes;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Ledger;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Endpoint metadata naming an endpoint's idempotency scope (one scope per endpoint).</summary>
public sealed record IdempotencyScope(string Name, bool InTransaction);

/// <summary>
/// <c>.WithIdempotency("rewards")</c>: the one way an endpoint takes an Idempotency-Key. The key is optional;
/// when sent it must be valid (400 INVALID_IDEMPOTENCY_KEY), and the request is hashed over its method, path
/// and raw body.
/// <list type="bullet">
/// <item>Claimed endpoints (the default): the key is claimed before the handler runs. The same request again
/// gets the first 2xx answer (a 201 is replayed as 200) with <c>Idempotent-Replayed: true</c>; while the first
/// still runs, the second gets 409 IDEMPOTENCY_KEY_IN_PROGRESS; another request under the key is 422
/// IDEMPOTENCY_KEY_REUSED. A refused or failed request releases its key.</item>
/// <item>Transactional endpoints (<c>inTransaction: true</c>): the handler's service checks and writes the
/// record inside its own transaction (<see cref="IdempotencyStore.Stage"/>); the filter only validates, hashes
/// and hands it the <see cref="IdempotencyRequest"/>.</item>
/// </list>
/// Secret fields of an answer (a new key, a token) are stored as null: a replay does not show them again.
/// </summary>
public static class IdempotencyEndpoints
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private const string RequestItem = "lc.idempotency";

    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder, string scope, bool inTransaction = false,
        params string[] secretFields) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new IdempotencyScope(scope, inTransaction));
        return builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var request = await ReadAsync(http, scope);
            if (request is null) return await next(context);
            if (inTransaction)
            {
                http.Items[RequestItem] = request;
                return await next(context);
            }
            return await RunClaimedAsync(context, next, request, secretFields);
        });
    }

    /// <summary>The request's key, for a transactional endpoint's service; null when none was sent.</summary>
    public static IdempotencyRequest? Idempotency(this HttpContext http) => http.Items[RequestItem] as IdempotencyRequest;

    public static void MarkReplayed(this HttpContext http) => http.Response.Headers[ReplayedHeader] = "true";

    /// <summary>
    /// Buffers bodies of requests that carry a key, so the filter can hash the raw bytes after model binding read them.
    /// </summary>
    public static IApplicationBuilder UseIdempotencyBuffering(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Headers.ContainsKey(Header)) http.Request.EnableBuffering();
        await next(http);
    });

    private static async Task<IdempotencyRequest?> ReadAsync(HttpContext http, string scope)
    {
        if (!http.Request.Headers.TryGetValue(Header, out var values)) return null;
        if (values.Count != 1) throw new LoyaltyException("INVALID_IDEMPOTENCY_KEY", "send one Idempotency-Key");
        var key = IdempotencyStore.ValidateKey(values[0] ?? "")!;
        var body = Array.Empty<byte>();
        if (http.Request.Body.CanSeek)
        {
            http.Request.Body.Position = 0;
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            http.Request.Body.Position = 0;
            body = buffer.ToArray();
        }
        var programId = long.TryParse(http.Request.RouteValues["programId"]?.ToString(), out var id) ? id : 0;
        return new IdempotencyRequest(programId, scope, key,
            IdempotencyStore.Hash(http.Request.Method, http.Request.Path.Value ?? "", body));
    }

    private static async ValueTask<object?> RunClaimedAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next,
        IdempotencyRequest request, string[] secretFields)
    {
        var http = context.HttpContext;
        var store = http.RequestServices.GetRequiredService<IdempotencyStore>();
        // The claim and its completion must not be cut short by the client hanging up: a half-done claim blocks the key.
        var ct = CancellationToken.None;
        var claim = await store.ClaimAsync(request, ct);
        if (!claim.Won) return Replay(http, claim.Record, request);

        var original = http.Response.Body;
        using var captured = new MemoryStream();
        int status;
        try
        {
            var result = await next(context);
            http.Response.Body = captured;
            var asResult = result as IResult ?? (result is null ? Results.Empty : Results.Json(result));
            await asResult.ExecuteAsync(http);
            status = http.Response.StatusCode;
        }
        catch (LoyaltyException refused) when (refused.Status < 500)
        {
            // A refusal changes nothing by contract: the key is free for the corrected request.
            http.Response.Body = original;
            await store.ReleaseAsync(claim.Record, ct);
            throw;
        }
        // Any other failure may come after the change committed: the claim stays, and a retry under the key is told
        // the outcome is unknown rather than running the change a second time.
        finally
        {
            http.Response.Body = original;
        }
        var bytes = captured.ToArray();
        if (status is >= 200 and < 300) await store.CompleteAsync(claim.Record, status, Redact(bytes, secretFields), ct);
        else if (status < 500) await store.ReleaseAsync(claim.Record, ct);
        // An empty body must not start the response: the status code pages still answer a bare 404 with problem details.
        if (bytes.Length > 0) await original.WriteAsync(bytes, http.RequestAborted);
        return Results.Empty;
    }

    private static IResult Replay(HttpContext http, IdempotencyRecord record, IdempotencyRequest request)
    {
        IdempotencyStore.EnsureSameRequest(record, request.Hash);
        if (record.StatusCode == IdempotencyRecord.InProgress && record.CreatedAt < http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime - IdempotencyStore.ClaimLease)
            throw new LoyaltyException("IDEMPOTENCY_OUTCOME_UNKNOWN",
                "the request under this Idempotency-Key did not finish and may have taken effect; check, then retry under a new key", 409);
        if (record.StatusCode == IdempotencyRecord.InProgress)
            throw new LoyaltyException("IDEMPOTENCY_KEY_IN_PROGRESS", "a request with this Idempotency-Key is still running; retry shortly", 409);
        http.MarkReplayed();
        var status = record.StatusCode == StatusCodes.Status201Created ? StatusCodes.Status200OK : record.StatusCode;
        return record.ResponseBody.Length == 0 ? Results.StatusCode(status)
            : Results.Text(record.ResponseBody, "application/json; charset=utf-8", statusCode: status);
    }

    private static string Redact(byte[] body, string[] secretFields)
    {
        var text = System.Text.Encoding.UTF8.GetString(body);
        if (secretFields.Length == 0 || text.Length == 0) return text;
        var node = JsonNode.Parse(text);
        Strip(node, secretFields);
        return node?.ToJsonString() ?? text;
    }

    private static void Strip(JsonNode? node, string[] fields)
    {
        if (node is JsonObject o)
        {
            foreach (var name in o.Select(p => p.Key).ToList())
            {
                if (fields.Contains(name, StringComparer.OrdinalIgnoreCase)) o[name] = null;
                else Strip(o[name], fields);
            }
        }
        else if (node is JsonArray a) foreach (var item in a) Strip(item, fields);
    }
}
