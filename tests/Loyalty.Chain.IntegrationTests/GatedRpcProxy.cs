using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Can hold back the eth_call reading one address's balanceOf until the test releases it: it pins a request between
/// its chain reads and its write, so a race can be played in a chosen order. Everything else goes through unchanged.
/// </summary>
public sealed class GatedRpcProxy(string targetUrl) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(30))
{
    private volatile string? _holdFor;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds the next balanceOf(<paramref name="address"/>) call; the returned task completes once one is held.</summary>
    public Task HoldBalanceOf(string address)
    {
        _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _holdFor = address.ToLowerInvariant()[2..];
        return _held.Task;
    }

    public void Release()
    {
        _holdFor = null;
        _release.TrySetResult();
    }

    protected override async Task<string?> InterceptAsync(string body)
    {
        var hold = _holdFor;
        // balanceOf(address) is selector 0x70a08231 followed by the address, left-padded.
        if (hold is not null && body.Contains("\"eth_call\"") && body.Contains("0x70a08231") && body.ToLowerInvariant().Contains(hold))
        {
            _held.TrySetResult();
            await _release.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        return null;
    }

    protected override void OnDisposing() => Release();
}
