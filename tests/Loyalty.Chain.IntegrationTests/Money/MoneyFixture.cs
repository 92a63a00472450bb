using System.Net;
using System.Text;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests.Money;

/// <summary>A program with small, known caps, two burn attempts and a fast indexer.</summary>
public sealed class MoneyFixture : ProgramFixture
{
    public const long MaxPointsPerEvent = 1_000_000;
    public const long MaxPointsPerMember = 3_000_000;

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Limits:MaxPointsPerEvent"] = MaxPointsPerEvent.ToString(),
        ["Limits:MaxPointsPerMember"] = MaxPointsPerMember.ToString(),
        ["Redemptions:MaxBurnAttempts"] = "2",
        ["Indexer:Interval"] = "00:00:01",
        ["Collectibles:PublicBaseUrl"] = "http://localhost",
    };
}

/// <summary>
/// An HTTP forwarder in front of the node that can hold every eth_call until the test lets it go: a node that is slow
/// on exactly the read a redemption makes.
/// </summary>
public sealed class HeldCallProxy(string targetUrl) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(100))
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool Hold = true;
    /// <summary>Completes when the first eth_call arrived and is being held.</summary>
    public TaskCompletionSource CallHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    protected override async Task<string?> InterceptAsync(string body)
    {
        if (Hold && body.Contains("\"eth_call\"", StringComparison.Ordinal))
        {
            CallHeld.TrySetResult();
            await _release.Task;
        }
        return null;
    }

    protected override void OnDisposing() => Release();
}
