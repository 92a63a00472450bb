using System.Collections.Concurrent;
using System.Text.Json;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Acts like a lagging or load-balanced provider for chosen transactions: eth_getTransactionReceipt and
/// eth_getTransactionByHash of a hidden hash answer null although the transaction is mined (and the nonce at the
/// safe block says so). Every other call goes through unchanged.
/// </summary>
public sealed class LaggingRpcProxy(string targetUrl) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(10))
{
    private static readonly HashSet<string> HashLookups = ["eth_getTransactionReceipt", "eth_getTransactionByHash"];
    private readonly ConcurrentDictionary<string, bool> _hidden = new(StringComparer.OrdinalIgnoreCase);
    private int _hiddenAnswers;

    /// <summary>How many lookups were answered null because their hash was hidden.</summary>
    public int HiddenAnswers => Volatile.Read(ref _hiddenAnswers);

    public void Hide(string hash) => _hidden[hash] = true;
    public void RevealAll() => _hidden.Clear();

    protected override Task<string?> InterceptAsync(string body)
    {
        using var request = JsonDocument.Parse(body);
        if (!IsHidden(request.RootElement)) return Task.FromResult<string?>(null);
        Interlocked.Increment(ref _hiddenAnswers);
        return Task.FromResult<string?>($"{{\"jsonrpc\":\"2.0\",\"id\":{request.RootElement.GetProperty("id").GetRawText()},\"result\":null}}");
    }

    private bool IsHidden(JsonElement request) =>
        request.ValueKind == JsonValueKind.Object
        && HashLookups.Contains(request.GetProperty("method").GetString() ?? "")
        && request.GetProperty("params")[0].GetString() is { } hash && _hidden.ContainsKey(hash);
}
