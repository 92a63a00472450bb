namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>Lets every request through to the node and counts the HTTP requests (a JSON-RPC batch is one).</summary>
public sealed class CountingRpcProxy(string targetUrl) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(30))
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    protected override Task<string?> InterceptAsync(string body)
    {
        Interlocked.Increment(ref _requests);
        return Task.FromResult<string?>(null);
    }
}
