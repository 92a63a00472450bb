namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Lets every request through to the node and counts the HTTP requests (a JSON-RPC batch is one). With
/// <paramref name="refuseBatches"/> it answers a batch as providers without batch support do: one JSON-RPC error.
/// </summary>
public sealed class CountingRpcProxy(string targetUrl, bool refuseBatches = false) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(30))
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    protected override Task<string?> InterceptAsync(string body)
    {
        Interlocked.Increment(ref _requests);
        if (refuseBatches && body.TrimStart().StartsWith('['))
            return Task.FromResult<string?>("""{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}""");
        return Task.FromResult<string?>(null);
    }
}
