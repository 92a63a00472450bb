using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>/health of the real host: who answers, and whether it can read its database.</summary>
[Collection(ApiCollection.Name)]
public sealed class HealthTests
{
    [Fact]
    public async Task Health_AnswersTheInstanceValueItWasStartedWith()
    {
        await using var factory = new ApiFactory("http://127.0.0.1:9", new Dictionary<string, string> { ["Health:Instance"] = "start-4f1c" });
        var health = await new LoyaltyApi(factory.CreateClient()).GetAsync("/health", null);

        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("ok", health.Body!["status"]!.GetValue<string>());
        Assert.Equal("start-4f1c", health.Body["instance"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_WhenTheDatabaseCannotBeRead_Is503WithACode()
    {
        if (TestDatabase.IsPostgres) return; // the SQLite file is what this test takes away
        var dir = Directory.CreateTempSubdirectory("lc-health-");
        var file = Path.Combine(dir.FullName, "ledger.db");
        // No pooling: every request opens the file afresh, as it would after a restart or a lost volume.
        await using var factory = new ApiFactory("http://127.0.0.1:9", new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = $"Data Source={file};Pooling=False;Default Timeout=2",
        });
        var api = new LoyaltyApi(factory.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health", null)).Status);

        foreach (var f in dir.GetFiles()) f.Delete();
        var health = await api.GetAsync("/health", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.Equal("DATABASE_UNAVAILABLE", health.Body!["code"]!.GetValue<string>());
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }
}
