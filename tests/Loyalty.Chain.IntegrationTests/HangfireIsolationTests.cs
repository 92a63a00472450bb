using Hangfire;
using Hangfire.Common;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Two API hosts in one process keep their Hangfire jobs apart. Hangfire's defaults are process-wide statics
/// (JobStorage.Current, JobActivator.Current) set by whichever host configured last; CI once ran a host whose recurring
/// passes landed in the other host's storage, and its program never left Deploying.
/// </summary>
public sealed class HangfireIsolationTests
{
    [Fact]
    public async Task TwoHostsStartedTogether_EachHaveTheirOwnJobStorageAndActivator()
    {
        // No node is needed to build a host; the Hangfire server is off so nothing polls the unused loopback address.
        var settings = new Dictionary<string, string> { ["Jobs:RunServer"] = "false" };
        await using var a = new ApiFactory("http://127.0.0.1:9", settings);
        await using var b = new ApiFactory("http://127.0.0.1:9", settings);
        await Task.WhenAll(Task.Run(() => a.Server), Task.Run(() => b.Server));

        var storageA = a.Services.GetRequiredService<JobStorage>();
        var storageB = b.Services.GetRequiredService<JobStorage>();
        Assert.NotSame(storageA, storageB);

        // A recurring job registered through host A is in A's storage only.
        a.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate("isolation-probe", Job.FromExpression(() => Console.WriteLine("probe")), Cron.Daily());
        using (var connection = storageA.GetConnection()) Assert.Contains("isolation-probe", connection.GetAllItemsFromSet("recurring-jobs"));
        using (var connection = storageB.GetConnection()) Assert.DoesNotContain("isolation-probe", connection.GetAllItemsFromSet("recurring-jobs"));

        // Each host's activator builds jobs from that host's own services.
        var activatorA = a.Services.GetRequiredService<JobActivator>();
        var activatorB = b.Services.GetRequiredService<JobActivator>();
        Assert.NotSame(activatorA, activatorB);
        using var scope = activatorA.BeginScope((JobActivatorContext)null!);
        var resolved = (IServiceProvider)scope.Resolve(typeof(IServiceProvider));
        Assert.Same(a.Services.GetRequiredService<JobStorage>(), resolved.GetRequiredService<JobStorage>());
    }

    /// <summary>
    /// Hangfire's log provider is process-wide. It used to be the logger factory of the host configured last, so disposing
    /// that host broke every other host's Hangfire: Hangfire.PostgreSql asks for a logger on each dequeue, got
    /// ObjectDisposedException, and the live host's workers backed off for up to 49 s at a time (CI: settlement and
    /// webhooks stalled for minutes on the PostgreSQL pass). Now a line goes to a host still running.
    /// </summary>
    [Fact]
    public async Task AHostDisposedBesideAnother_LeavesHangfireLoggingThroughTheLiveHost()
    {
        var settings = new Dictionary<string, string> { ["Jobs:RunServer"] = "false" };
        await using var a = new ApiFactory("http://127.0.0.1:9", settings);
        _ = a.Server;
        var b = new ApiFactory("http://127.0.0.1:9", settings);
        _ = b.Server; // configured after a: Hangfire's default made b's factory the process-wide one
        await b.DisposeAsync();

        // What PostgreSqlJobQueue.Dequeue does on every fetch, from a worker of host a.
        var exception = Record.Exception(() =>
        {
            var log = Hangfire.Logging.LogProvider.GetLogger("Hangfire.PostgreSql.PostgreSqlJobQueue");
            // Hangfire's categories log from Warning up (appsettings.json): a live factory says so.
            Assert.True(log.Log(Hangfire.Logging.LogLevel.Warn, null), "a live host's factory should take Hangfire's lines");
            log.Log(Hangfire.Logging.LogLevel.Warn, () => "dequeue probe");
        });
        Assert.Null(exception);
    }

    /// <summary>
    /// An instance killed while it held a recurring job's storage lock (seen after kill -9 on PostgreSQL) leaves the lock
    /// row behind. The next instance on that database must still start, and register the job once the lock is gone.
    /// </summary>
    [PostgresFact]
    public async Task RecurringJobLockLeftByAKilledInstance_DoesNotStopTheNextStart()
    {
        var data = Directory.CreateTempSubdirectory("lc-api-").FullName;
        try
        {
            var first = new Dictionary<string, string> { ["Jobs:RunServer"] = "false" };
            string connectionString;
            await using (var a = new ApiFactory("http://127.0.0.1:9", first, dataDirectory: data))
            {
                _ = a.Server;
                connectionString = a.ConnectionString!;
            }
            var resource = $"hangfire:lock:recurring-job:{LoyaltyJobs.SettlementRecurringId}";
            await using (var db = new NpgsqlConnection(connectionString))
            {
                await db.OpenAsync();
                await using var insert = new NpgsqlCommand("INSERT INTO hangfire.lock (resource, updatecount, acquired) VALUES (@r, 0, now())", db);
                insert.Parameters.AddWithValue("r", resource);
                await insert.ExecuteNonQueryAsync();
            }

            // The second instance wants another settlement cron: it can only write it once the stale lock is gone.
            var second = new Dictionary<string, string> { ["Jobs:RunServer"] = "false", ["Jobs:SettlementCron"] = "*/7 * * * * *" };
            await using var b = new ApiFactory("http://127.0.0.1:9", second, dataDirectory: data);
            _ = b.Server; // threw PostgreSqlDistributedLockException before the fix
            var storage = b.Services.GetRequiredService<JobStorage>();
            string? Cron()
            {
                using var connection = storage.GetConnection();
                return connection.GetAllEntriesFromHash($"recurring-job:{LoyaltyJobs.SettlementRecurringId}")?.GetValueOrDefault("Cron");
            }
            Assert.NotEqual("*/7 * * * * *", Cron());

            await using (var db = new NpgsqlConnection(connectionString))
            {
                await db.OpenAsync();
                await using var delete = new NpgsqlCommand("DELETE FROM hangfire.lock WHERE resource = @r", db);
                delete.Parameters.AddWithValue("r", resource);
                await delete.ExecuteNonQueryAsync();
            }
            Assert.True(await LoyaltyApi.EventuallyAsync(() => Task.FromResult(Cron() == "*/7 * * * * *"), TimeSpan.FromSeconds(60)),
                $"the settlement job was not registered after the lock went: cron {Cron()}");
        }
        finally
        {
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }
}
