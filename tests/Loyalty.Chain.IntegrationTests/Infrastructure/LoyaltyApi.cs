using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>A thin HTTP client for the v1 API as a shop or brand backend would use it (JSON in, JSON out).</summary>
public sealed class LoyaltyApi(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path,
        string? apiKey, object? body = null, string? idempotencyKey = null, string? rawBody = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (rawBody is not null) request.Content = new StringContent(rawBody, System.Text.Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, string? key, object? body,
        string? idempotencyKey = null) => SendAsync(HttpMethod.Post, path, key, body, idempotencyKey);

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, string? key) =>
        SendAsync(HttpMethod.Get, path, key);

    /// <summary>Polls until <paramref name="done"/> holds or the timeout passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await done()) return true;
            await Task.Delay(200);
        }
        return await done();
    }
}
