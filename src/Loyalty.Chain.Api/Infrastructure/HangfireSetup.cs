using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.InMemory;
using Loyalty.Chain.Transactions;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Hangfire settings (section "Jobs").</summary>
public sealed class JobOptions
{
    public const string Section = "Jobs";
    /// <summary>Run the Hangfire server (workers) in this process.</summary>
    public bool RunServer { get; set; } = true;
    public int WorkerCount { get; set; } = 4;
    /// <summary>Six-field cron (with seconds) of the recurring submit and confirm passes.</summary>
    public string PipelineCron { get; set; } = "*/2 * * * * *";
    /// <summary>Program activation, maturation and settlement rounds.</summary>
    public string SettlementCron { get; set; } = "*/5 * * * * *";
    /// <summary>
    /// Queued and interrupted analytics rebuilds (rare: an upgrade or an admin's request). Its own cron, so hosts that run
    /// the settlement pass every second (tests, demos) do not take the rebuild lease every second too.
    /// </summary>
    public string AnalyticsRebuildCron { get; set; } = "*/5 * * * * *";
    /// <summary>The daily pass (expiry), in UTC.</summary>
    public string DailyCron { get; set; } = "15 3 * * *";
    /// <summary>Webhook fan-out and delivery passes.</summary>
    public string WebhooksCron { get; set; } = "*/2 * * * * *";
}

public static class HangfireSetup
{
    private static readonly PostgreSqlStorageOptions PostgreSqlStorageOptions = new()
    {
        QueuePollInterval = TimeSpan.FromMilliseconds(200),
        PrepareSchemaIfNecessary = true,
        // A lock row left by an instance killed while holding it (recurring-job scheduling) is taken over after this,
        // not after the 10-minute default: Hangfire holds its locks for milliseconds, and the passes themselves are
        // guarded by the ledger's own leases, so a short expiry costs nothing and a restart resumes in seconds.
        DistributedLockTimeout = TimeSpan.FromSeconds(30),
    };

    public static IServiceCollection AddLoyaltyJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.Section));
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        // This host's own storage and job activator, registered before AddHangfire (which only TryAdds them): Hangfire's
        // defaults are the process-wide JobStorage.Current and JobActivator.Current, set by whichever host configured
        // last, so two hosts in one process (the test suite, or an embedding) could enqueue into and run each other's
        // jobs. Seen in CI: a host whose recurring passes went to another host's storage never activated its program.
        services.AddSingleton<JobStorage>(_ => database.IsPostgreSql
            ? new PostgreSqlStorage(
                new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(database.ResolveConnectionString(), PostgreSqlStorageOptions),
                PostgreSqlStorageOptions)
            // One process on a SQLite ledger: Hangfire's storage only drives the passes, and holds nothing that is not
            // also in the ledger (every job re-reads its work there; a lost scheduled withdrawal is staged by the
            // withdrawals-overdue step). Hangfire.Storage.SQLite was dropped: its distributed-lock heartbeat uses the
            // lock owner's connection from a timer thread (raisedapp/Hangfire.Storage.SQLite#79), which under load
            // corrupted its file ("database disk image is malformed") and crashed the process (free(): invalid pointer).
            : new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) }));
        services.AddSingleton<JobActivator>(sp => new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, config) =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            // Not AddHangfire's default (the last host's own factory, process-wide): see HostsLogProvider.
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            HostsLogProvider.Instance.Add(loggers);
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => HostsLogProvider.Instance.Remove(loggers));
            config.UseLogProvider(HostsLogProvider.Instance);
        });
        var jobs = configuration.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions();
        if (jobs.RunServer)
        {
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = jobs.WorkerCount;
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            });
        }
        return services;
    }

    /// <summary>
    /// Registers the recurring pipeline passes (idempotent: AddOrUpdate by id). Each registration takes a storage lock
    /// on its job; an instance killed while holding one (seen on PostgreSQL after kill -9) leaves it held until it
    /// expires. A registration that cannot get its lock is retried in the background instead of failing the start:
    /// the job is already registered from before, and the host must come up to resume the pipeline.
    /// </summary>
    public static void ScheduleRecurringJobs(this IServiceProvider services)
    {
        var jobs = services.GetRequiredService<IOptions<JobOptions>>().Value;
        var indexer = services.GetRequiredService<IOptions<Loyalty.Chain.Indexer.IndexerOptions>>().Value;
        var recurring = services.GetRequiredService<IRecurringJobManager>();
        var registrations = new List<(string Id, Action<string> Register)>
        {
            (ChainTxJobs.SubmitRecurringId, id => recurring.AddOrUpdate<ChainTxJobs>(id, j => j.SubmitDueAsync(CancellationToken.None), jobs.PipelineCron)),
            (ChainTxJobs.ConfirmRecurringId, id => recurring.AddOrUpdate<ChainTxJobs>(id, j => j.ConfirmInFlightAsync(CancellationToken.None), jobs.PipelineCron)),
            (Loyalty.Chain.Indexer.IndexerJobs.RecurringId, id => recurring.AddOrUpdate<Loyalty.Chain.Indexer.IndexerJobs>(id, j => j.ScanAllAsync(CancellationToken.None), indexer.ToCron())),
            (LoyaltyJobs.SettlementRecurringId, id => recurring.AddOrUpdate<LoyaltyJobs>(id, j => j.SettleAsync(CancellationToken.None), jobs.SettlementCron)),
            (LoyaltyJobs.DailyRecurringId, id => recurring.AddOrUpdate<LoyaltyJobs>(id, j => j.DailyAsync(CancellationToken.None), jobs.DailyCron)),
            (LoyaltyJobs.WebhooksRecurringId, id => recurring.AddOrUpdate<LoyaltyJobs>(id, j => j.WebhooksAsync(CancellationToken.None), jobs.WebhooksCron)),
            (LoyaltyJobs.AnalyticsRebuildRecurringId, id => recurring.AddOrUpdate<LoyaltyJobs>(id, j => j.AnalyticsRebuildAsync(CancellationToken.None), jobs.AnalyticsRebuildCron)),
            (LoyaltyJobs.TiersRecurringId, id => recurring.AddOrUpdate<LoyaltyJobs>(id, j => j.TiersAsync(CancellationToken.None), Cron.Hourly())),
        };
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HangfireSetup).FullName!);
        var pending = registrations.Where(r => !TryRegister(r.Id, r.Register, logger)).ToList();
        if (pending.Count == 0) return;
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(async () =>
        {
            while (pending.Count > 0 && !stopping.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(5), stopping); }
                catch (OperationCanceledException) { return; }
                pending.RemoveAll(r => TryRegister(r.Id, r.Register, logger));
            }
        });
    }

    private static bool TryRegister(string id, Action<string> register, ILogger logger)
    {
        try
        {
            register(id);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning("Recurring job {JobId} not registered yet ({Error}); retrying in the background", id, ex.GetType().Name);
            return false;
        }
    }

    /// <summary>The dashboard shows keys' addresses and job arguments: admins only (HTTP Basic, password = admin API key).</summary>
    public static IApplicationBuilder UseAdminOnlyDashboard(this IApplicationBuilder app, string path = "/hangfire") =>
        app.UseHangfireDashboard(path, new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorization()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "Loyalty.Chain jobs",
        });

    private sealed class AdminDashboardAuthorization : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var admin = http.RequestServices.GetRequiredService<AdminKeyVerifier>();
            if (admin.IsAdminRequest(http)) return true;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"Loyalty.Chain admin\"";
            return false;
        }
    }
}
