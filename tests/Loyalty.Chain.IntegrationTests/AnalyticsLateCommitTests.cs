using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// PostgreSQL hands out ids when a row is inserted, not when it commits: a transaction that took a lower id can commit after
/// one that took a higher id, and after a fold moved the ledger mark past both. That row must still be counted.
/// (SQLite commits one writer at a time, so there the test has nothing to show and returns.)
/// </summary>
public sealed class AnalyticsLateCommitTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    [Fact]
    public async Task Rollup_OnPostgres_CountsALowerIdThatCommitsAfterTheMarkMovedPastIt()
    {
        if (!TestDatabase.IsPostgres) return;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var before = Issued(await ReadAsync(today));

        using var early = f.Factory.Services.CreateScope();
        using var late = f.Factory.Services.CreateScope();
        var first = early.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var second = late.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        await using var slow = await first.Database.BeginTransactionAsync();
        var low = Grant(7);
        first.Add(low);
        await first.SaveChangesAsync(); // takes its id now, commits last
        await using (var fast = await second.Database.BeginTransactionAsync())
        {
            var high = Grant(11);
            second.Add(high);
            await second.SaveChangesAsync();
            await fast.CommitAsync();
            Assert.True(low.Id < high.Id, $"{low.Id} < {high.Id}");
        }

        Assert.Equal(before + 11, Issued(await ReadAsync(today))); // the fold moved the mark past the uncommitted lower id
        await slow.CommitAsync();
        Assert.Equal(before + 18, Issued(await ReadAsync(today)));
        Assert.Equal(before + 18, Issued(await ReadAsync(today))); // and counted once
    }

    private LedgerEntry Grant(long points) => new()
    {
        ProgramId = f.ProgramId, PostingId = Guid.NewGuid(), Account = LedgerAccount.Issuance, Amount = -points, Kind = EntryKind.Grant,
        Note = "late-commit test", CreatedAt = DateTime.UtcNow,
    };

    private static long Issued(JsonNode report) => long.Parse(report["series"]!.AsArray().Single()!["pointsIssued"]!.GetValue<string>());

    private async Task<JsonNode> ReadAsync(DateOnly day)
    {
        var r = await f.Api.GetAsync(f.P($"/analytics?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}"), f.AdminKey);
        Assert.True(r.Status == HttpStatusCode.OK, r.Body?.ToJsonString());
        return r.Body!;
    }
}
