namespace Loyalty.Chain.Bench;

/// <summary>Sizes of a run: "full" is the reference, "quick" a tenth of it (under 5 minutes on 2 cores).</summary>
public sealed record BenchSettings(
    string Mode,
    TimeSpan IntakeDuration,
    int IntakeClients,
    int IntakeMembers,
    int SettleMembers,
    int SettleAccruals,
    int SeedClients,
    TimeSpan NaiveDuration,
    int Redemptions,
    int EnrolClients,
    TimeSpan SettleTimeout,
    int AnalyticsMembers = 100_000,
    int AnalyticsEvents = 1_000_000,
    int AnalyticsRequests = 200,
    int WebhookEvents = 5_000,
    int WebhookMembers = 1_000,
    int WebhookClients = 64,
    TimeSpan? WebhookTimeoutOrDefault = null,
    int MemberReadClients = 64,
    TimeSpan? MemberReadDurationOrDefault = null,
    int ReconcileMembers = 100_000,
    int RecoveryMembers = 1_500,
    int EngagementRounds = 3)
{
    public TimeSpan MemberReadDuration => MemberReadDurationOrDefault ?? TimeSpan.FromSeconds(30);

    /// <summary>How long the webhooks phase waits for the last delivery after the last purchase was accepted.</summary>
    public TimeSpan WebhookTimeout => WebhookTimeoutOrDefault ?? TimeSpan.FromMinutes(5);

    public static readonly BenchSettings Full = new("full", TimeSpan.FromSeconds(60), 64, 1_000, 10_000, 100_000, 64,
        TimeSpan.FromSeconds(20), 200, 8, TimeSpan.FromMinutes(30));

    /// <summary>
    /// A tenth of everything but the concurrency: still 64 intake clients and 200 simultaneous redemptions, since
    /// what those measure is behaviour under that many callers at once.
    /// </summary>
    public static readonly BenchSettings Quick = new("quick", TimeSpan.FromSeconds(6), 64, 100, 1_000, 10_000, 64,
        TimeSpan.FromSeconds(5), 200, 8, TimeSpan.FromMinutes(5),
        AnalyticsMembers: 10_000, AnalyticsEvents: 100_000, AnalyticsRequests: 100,
        WebhookEvents: 500, WebhookMembers: 100, WebhookTimeoutOrDefault: TimeSpan.FromMinutes(2),
        MemberReadDurationOrDefault: TimeSpan.FromSeconds(5), ReconcileMembers: 10_000, RecoveryMembers: 1_000, EngagementRounds: 2);
}
