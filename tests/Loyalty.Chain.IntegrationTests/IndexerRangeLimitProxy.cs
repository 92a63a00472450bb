using System.Text.Json;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Refuses eth_getLogs over more than <c>maxRange</c> blocks the way geth and Infura do (code -32005, "query returned
/// more than 10000 results"); every other call goes through unchanged. It stands for a rate-limited public provider.
/// </summary>
public sealed class IndexerRangeLimitProxy(string targetUrl, long maxRange) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(10))
{
    private int _refused;

    public int Refused => Volatile.Read(ref _refused);

    protected override Task<string?> InterceptAsync(string body)
    {
        using var request = JsonDocument.Parse(body);
        if (!TooWide(request.RootElement)) return Task.FromResult<string?>(null);
        Interlocked.Increment(ref _refused);
        var id = request.RootElement.GetProperty("id").GetRawText();
        return Task.FromResult<string?>($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32005,\"message\":\"query returned more than 10000 results\"}}}}");
    }

    private bool TooWide(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object || request.GetProperty("method").GetString() != "eth_getLogs") return false;
        var filter = request.GetProperty("params")[0];
        static long Block(JsonElement e) => Convert.ToInt64(e.GetString()![2..], 16);
        return Block(filter.GetProperty("toBlock")) - Block(filter.GetProperty("fromBlock")) + 1 > maxRange;
    }
}
