using Loyalty.Chain.Access;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain;

/// <summary>Database settings (section "Database").</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    /// <summary>"Sqlite" (default) or "PostgreSql".</summary>
    public string Provider { get; set; } = "Sqlite";
    /// <summary>Falls back to a SQLite file under <see cref="DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }
    public string DataDirectory { get; set; } = "data";

    public bool IsPostgreSql => Provider.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase);

    public string ResolveConnectionString() =>
        ConnectionString ?? $"Data Source={Path.Combine(Path.GetFullPath(DataDirectory), "loyalty.db")};Default Timeout=30";
}

public static class LoyaltyChainServices
{
    /// <summary>Registers the library: options, database, chain access and the transaction pipeline.</summary>
    public static IServiceCollection AddLoyaltyChainCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChainOptions>().Bind(configuration.GetSection(ChainOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPipelineFaults, NoFaults>();

        if (configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>()?.IsPostgreSql == true)
        {
            services.AddDbContext<LoyaltyDbContext, PostgresLoyaltyDbContext>((sp, options) =>
                options.UseNpgsql(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ResolveConnectionString()));
        }
        else
        {
            services.AddDbContext<LoyaltyDbContext, SqliteLoyaltyDbContext>((sp, options) =>
            {
                var db = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
                if (db.ConnectionString is null) Directory.CreateDirectory(Path.GetFullPath(db.DataDirectory));
                options.UseSqlite(db.ResolveConnectionString());
            });
        }

        services.AddSingleton<Web3Factory>();
        services.AddSingleton(sp => new FeeEstimator(sp.GetRequiredService<IOptions<ChainOptions>>().Value));
        services.AddScoped<ChainTxQueue>();
        services.AddScoped<SenderHealth>();
        services.AddScoped<TransactionSubmitter>();
        services.AddScoped<TransactionConfirmer>();
        services.AddSingleton<PipelineRunner>();
        services.AddOptions<MonitoringOptions>().Bind(configuration.GetSection(MonitoringOptions.Section));
        services.AddSingleton<NodeMonitor>();
        services.AddOptions<Programs.ProgramKeyOptions>().Bind(configuration.GetSection(Programs.ProgramKeyOptions.Section));
        services.AddSingleton<Programs.ProgramKeyBalances>();
        services.AddTransient<ChainTxJobs>();
        services.AddSingleton<ChainTxFollower>();
        services.AddScoped<IChainTxOutcomeHandler, SettlementMintOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, Redemption.BurnOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, ProgramSetupOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, ProgramPauseOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, Collectibles.DropCreateOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, Collectibles.DropMintOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, Collectibles.VoucherRelayOutcome>();
        services.AddScoped<IChainTxOutcomeHandler, Sunset.DropBaseUriOutcome>();

        services.AddCustody();
        services.TryAddScoped<ISenderKeys, CustodySenderKeys>();
        services.AddOptions<SettlementOptions>().Bind(configuration.GetSection(SettlementOptions.Section)).ValidateDataAnnotations();
        services.AddOptions<Redemption.RedemptionOptions>().Bind(configuration.GetSection(Redemption.RedemptionOptions.Section)).ValidateDataAnnotations();
        services.AddScoped<LedgerWriter>();
        services.AddSingleton<SqliteWriteGate>();
        services.AddSingleton<GroupCommit>();
        services.AddSingleton<Alerts.AlertSink>();
        services.AddOptions<Leases.LeaseOptions>().Bind(configuration.GetSection(Leases.LeaseOptions.Section));
        services.AddSingleton<Leases.LeaseService>();
        services.AddScoped<RuleUsageQuery>();
        services.AddScoped<Intake.RuleDryRun>();
        services.AddSingleton<ApiKeyCache>();
        services.AddScoped<ApiKeyService>();
        services.AddScoped<MemberTokens>();
        services.AddScoped<MemberSessions>();
        services.AddScoped<ProgramService>();
        services.AddScoped<ProgramActivation>();
        services.AddScoped<MemberService>();
        services.AddScoped<MemberDataExport>();
        services.AddScoped<MemberQuery>();
        services.AddScoped<EventLog>();
        services.AddScoped<ProgramSettings>();
        services.AddScoped<ProgramPause>();
        services.AddScoped<Ownership.OwnershipHandover>();
        services.AddScoped<Ownership.MinterRotation>();
        services.AddScoped<Coupons.CouponTill>();
        services.AddScoped<Idempotency.IdempotencyStore>();
        services.AddIntake();
        services.AddScoped<MaturationService>();
        services.AddScoped<SettlementService>();
        services.AddScoped<Reconciler>();
        services.AddScoped<Redemption.RedemptionService>();
        services.AddScoped<Redemption.BurnSettlement>();
        services.AddScoped<Redemption.PointRetirement>();
        services.AddScoped<Adjustments.AdjustmentService>();
        services.AddScoped<Expiry.ExpiryService>();
        services.AddScoped<Expiry.ExpiryReminderService>();
        services.AddOptions<Expiry.ExpiryOptions>().Bind(configuration.GetSection(Expiry.ExpiryOptions.Section));
        services.AddScoped<Redemption.WithdrawalService>();
        services.AddScoped<Sunset.SunsetService>();
        services.AddScoped<Sunset.DropRehosting>();
        services.AddScoped<Sunset.KeystoreClaim>();
        services.AddCollectibles(configuration);
        services.AddScoped<Tiers.TierService>();
        services.AddScoped<Segments.SegmentService>();
        services.AddScoped<Segments.IntakeAudiences>();
        services.AddScoped<Offers.OfferService>();
        services.AddScoped<Tiers.TierJob>();
        // Issue 13: donations, leaderboards, recommended rewards.
        services.AddScoped<Donations.DonationService>();
        services.AddScoped<Leaderboards.LeaderboardService>();
        services.AddScoped<Recommendations.RewardCatalog>();
        services.AddScoped<Recommendations.RewardRecommender>();
        services.AddScoped<Referrals.ReferralService>();
        services.AddScoped<Referrals.ReferralIntake>();
        services.AddScoped<Referrals.ReferralRewarder>();
        services.AddScoped<Challenges.ChallengeService>();
        services.AddScoped<Challenges.ChallengeIntake>();
        services.AddScoped<Challenges.ChallengeAwarder>();
        services.AddScoped<Challenges.MemberChallenges>();
        services.TryAddSingleton<Challenges.IChallengeAwardFaults, Challenges.NoChallengeAwardFaults>();
        // Issue 14: KPIs from daily roll-ups.
        services.AddScoped<Analytics.AnalyticsRollup>();
        services.AddScoped<Analytics.AnalyticsQuery>();
        services.AddScoped<Analytics.AnalyticsRebuilder>();
        services.AddOptions<Analytics.AnalyticsOptions>().Bind(configuration.GetSection(Analytics.AnalyticsOptions.Section));
        services.AddOptions<Webhooks.WebhookOptions>().Bind(configuration.GetSection(Webhooks.WebhookOptions.Section));
        services.AddSingleton<Webhooks.WebhookHttp>();
        services.AddScoped<Webhooks.WebhookService>();
        services.AddScoped<Webhooks.WebhookDispatcher>();
        services.AddScoped<IChainTxOutcomeHandler, Webhooks.WithdrawalCompletedOutcome>();
        Webhooks.WebhookOutbox.CacheFor = configuration.GetSection(Webhooks.WebhookOptions.Section).Get<Webhooks.WebhookOptions>()?.SubscriptionCacheFor
                                          ?? new Webhooks.WebhookOptions().SubscriptionCacheFor;
        services.AddTransient<LoyaltyJobs>();
        return services;
    }

    /// <summary>
    /// Brings the schema up to date with the provider's migrations (EF takes a migration lock, so several
    /// instances starting at once on one PostgreSQL apply each migration once); on SQLite also switches to
    /// WAL so readers never block the writer.
    /// </summary>
    public static async Task InitializeDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        if (db.IsSqlite)
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await db.Database.MigrateAsync(ct);
            return;
        }
        // Instances starting together would each apply the same pending migration (EF's own lock is released between
        // migrations on Npgsql): a session advisory lock on one held connection makes the second wait, then find none.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock(7311001)", ct);
            await db.Database.MigrateAsync(ct);
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock(7311001)", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }
}
