using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.Bench.Infrastructure;

public sealed record ApiResponse(int Status, string Text)
{
    public bool IsSuccess => Status is >= 200 and < 300;
    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);
}

public sealed class ApiException(string message) : Exception(message);

/// <summary>The bench's side of the HTTP API: X-Api-Key, JSON bodies, optional Idempotency-Key.</summary>
public sealed class ApiClient(HttpClient http, string baseUrl)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public string BaseUrl => baseUrl;

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? key, object? body = null, string? idempotencyKey = null,
        CancellationToken ct = default, TimeSpan? timeout = null)
    {
        var bytes = body is null ? null : body as byte[] ?? JsonSerializer.SerializeToUtf8Bytes(body, Json);
        using var request = Build(method, path, key, bytes, idempotencyKey);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(120));
        using var response = await http.SendAsync(request, limit.Token);
        return new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(limit.Token));
    }

    /// <summary>The hot path of the load phases: only the status is looked at, unless the caller wants the body.</summary>
    public async Task<(int Status, string? Body)> PostRawAsync(string path, string key, byte[] body, string? idempotencyKey, bool readBody,
        CancellationToken ct)
    {
        using var request = Build(HttpMethod.Post, path, key, body, idempotencyKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var status = (int)response.StatusCode;
        return (status, readBody || status >= 300 ? await response.Content.ReadAsStringAsync(ct) : null);
    }

    /// <summary>Sends and insists on a 2xx answer.</summary>
    public async Task<JsonNode> RequireAsync(HttpMethod method, string path, string? key, object? body = null, string? idempotencyKey = null,
        CancellationToken ct = default, TimeSpan? timeout = null)
    {
        var response = await SendAsync(method, path, key, body, idempotencyKey, ct, timeout);
        if (!response.IsSuccess) throw new ApiException($"{method} {path} -> {response.Status} {Shorten(response.Text)}");
        return response.Json ?? new JsonObject();
    }

    public Task<JsonNode> GetAsync(string path, string key, CancellationToken ct) => RequireAsync(HttpMethod.Get, path, key, ct: ct);

    public Task<JsonNode> PostAsync(string path, string key, object? body, CancellationToken ct, string? idempotencyKey = null, TimeSpan? timeout = null) =>
        RequireAsync(HttpMethod.Post, path, key, body, idempotencyKey, ct, timeout);

    private HttpRequestMessage Build(HttpMethod method, string path, string? key, byte[]? body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, baseUrl + path);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonType;
        }
        return request;
    }

    public static string Shorten(string? text, int max = 300)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= max ? flat : flat[..max] + "…";
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
