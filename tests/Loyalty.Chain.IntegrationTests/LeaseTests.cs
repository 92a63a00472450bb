using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Leases;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Leases on a real database file (or PostgreSQL in that pass), as two service instances would share them.</summary>
public sealed class LeaseTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lc-lease-");
    private PipelineHarness _harness = null!;

    // The node is never called: leases are database-only.
    public async Task InitializeAsync() => _harness = await PipelineHarness.StartAsync("http://127.0.0.1:9", Path.Combine(_dir.FullName, "lease.db"),
        new InMemorySenderKeys(), settings: new Dictionary<string, string?> { ["Leases:Duration"] = "00:00:01", ["Leases:RenewEvery"] = "00:00:00.200" });

    private LeaseService Leases => _harness.Services.GetRequiredService<LeaseService>();

    [Fact]
    public async Task TwentyHoldersContendingForANewLease_ExactlyOneWins()
    {
        var wins = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => Leases.TryAcquireAsync("contended", $"holder-{i}", CancellationToken.None))));

        Assert.Single(wins, w => w);
        var row = await _harness.WithDbAsync(db => db.Set<Lease>().AsNoTracking().SingleAsync(l => l.Name == "contended"));
        Assert.Equal($"holder-{Array.IndexOf(wins, true)}", row.Holder);
    }

    [Fact]
    public async Task LeaseOfAHolderThatVanished_IsRefusedUntilItExpires_ThenTaken()
    {
        Assert.True(await Leases.TryAcquireAsync("vanished", "dead-instance", CancellationToken.None));
        Assert.False(await Leases.TryAcquireAsync("vanished", "new-instance", CancellationToken.None));
        Assert.True(await Leases.TryAcquireAsync("vanished", "dead-instance", CancellationToken.None)); // its own holder renews

        // The dead instance never renews again; after the 1 s expiry the lease is free.
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        Assert.True(await Leases.TryAcquireAsync("vanished", "new-instance", CancellationToken.None));
        Assert.False(await Leases.TryAcquireAsync("vanished", "dead-instance", CancellationToken.None));
    }

    [Fact]
    public async Task RunExclusive_RenewsWhileThePassRuns_SkipsAnOverlappingPass_AndReleasesAtTheEnd()
    {
        var running = new TaskCompletionSource();
        var finish = new TaskCompletionSource();
        var first = Leases.RunExclusiveAsync("pass", async _ => { running.SetResult(); await finish.Task; }, CancellationToken.None);
        await running.Task;

        // Three lease durations later the pass still holds it: renewals kept it alive.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var ran = false;
        Assert.False(await Leases.RunExclusiveAsync("pass", _ => { ran = true; return Task.CompletedTask; }, CancellationToken.None));
        Assert.False(await Leases.TryAcquireAsync("pass", "other-instance", CancellationToken.None));
        Assert.False(ran);

        finish.SetResult();
        Assert.True(await first);
        // Released, not merely left to expire: another instance takes it at once.
        Assert.True(await Leases.TryAcquireAsync("pass", "other-instance", CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }
}
