using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program fixture whose indexer scans every second and whose metadata base URL is the test server.</summary>
public sealed class DropApiFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Indexer:Interval"] = "00:00:01",
        ["Collectibles:PublicBaseUrl"] = "http://localhost",
    };
}
