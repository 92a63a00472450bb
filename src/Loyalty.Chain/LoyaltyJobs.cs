using Hangfire;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Leases;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain;

/// <summary>
/// Recurring business jobs. Each pass works on batches (never one job per accrual), is re-entrant, and
/// skips overlapping runs (a lease, which a killed instance loses within seconds). Order within a pass:
/// programs move towards Active, pending points mature, finished mint batches are applied, new batches are cut.
/// Each step is isolated: one that throws is logged and alerted (<see cref="StepFailedAlert"/>) and the
/// next steps still run, so a poisoned row can never halt the whole pipeline.
/// </summary>
public sealed class LoyaltyJobs(IServiceScopeFactory scopes, LeaseService leases, AlertSink alerts, ILogger<LoyaltyJobs> logger)
{
    public const string SettlementRecurringId = "loyalty-settlement";
    public const string StepFailedAlert = "JOB_STEP_FAILED";

    public const string TiersRecurringId = "loyalty-tiers";

    /// <summary>Tier period ends, grace ends and ended memberships (hourly, so a local midnight is met within the hour).</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task TiersAsync(CancellationToken ct) =>
        leases.RunExclusiveAsync(TiersRecurringId, c => RunAsync<Tiers.TierJob>("tier-downgrades", s => s.RunAsync(c), c), ct);

    public const string WebhooksRecurringId = "loyalty-webhooks";

    /// <summary>Webhook fan-out and delivery; per program inside (<see cref="JobIsolation"/>), so one program's endpoints never hold up another's.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task WebhooksAsync(CancellationToken ct) =>
        leases.RunExclusiveAsync(WebhooksRecurringId, c => RunAsync<Webhooks.WebhookDispatcher>(Webhooks.WebhookDispatcher.Step, s => s.RunAsync(c), c), ct);

    public const string AnalyticsRebuildRecurringId = "loyalty-analytics-rebuild";

    /// <summary>
    /// Queued and interrupted analytics rebuilds, one program at a time (<see cref="Analytics.AnalyticsRebuilder"/>). Its own
    /// pass and lease, not a step of the settlement pass: a rebuild of a large program takes minutes and must not hold that up.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public Task AnalyticsRebuildAsync(CancellationToken ct) =>
        leases.RunExclusiveAsync(AnalyticsRebuildRecurringId, c => RunAsync<Analytics.AnalyticsRebuilder>(Analytics.AnalyticsRebuilder.Step, s => s.RunAsync(c), c), ct);

    [AutomaticRetry(Attempts = 0)]
    public Task SettleAsync(CancellationToken ct) => leases.RunExclusiveAsync(SettlementRecurringId, RunStepsAsync, ct);

    /// <summary>The daily pass: expiry (and, once a day, what else runs on calendar dates).</summary>
    public const string DailyRecurringId = "loyalty-daily";

    [AutomaticRetry(Attempts = 0)]
    public Task DailyAsync(CancellationToken ct) => leases.RunExclusiveAsync(DailyRecurringId, RunDailyAsync, ct);

    private async Task RunDailyAsync(CancellationToken ct)
    {
        await RunAsync<Expiry.ExpiryService>("expiry", async s => (await s.RunAsync(ct)).Members, ct);
        await RunAsync<Expiry.ExpiryReminderService>(Expiry.ExpiryReminderService.Step, s => s.RunAsync(ct), ct);
    }

    private async Task RunStepsAsync(CancellationToken ct)
    {
        await RunAsync<ProgramActivation>("program-activation", s => s.AdvanceAsync(ct), ct);
        await RunAsync<Ownership.OwnershipHandover>("ownership", s => s.AdvanceAsync(ct), ct);
        await RunAsync<Ownership.MinterRotation>("minter-rotation", s => s.AdvanceAsync(ct), ct);
        await RunAsync<MaturationService>("maturation", s => s.RunAsync(ct), ct);
        // Before settlement and drops: challenge points and stamps then go out in this same pass.
        await RunAsync<Challenges.ChallengeAwarder>(Challenges.ChallengeAwarder.Step, s => s.RunAsync(ct), ct);
        await RunAsync<SettlementService>("settlement-follow", s => s.FollowBatchesAsync(ct), ct);
        await RunAsync<SettlementService>("settlement", s => s.SettleAsync(ct), ct);
        await RunAsync<Collectibles.DropProcessor>("drops", s => s.RunAsync(ct), ct);
        await RunAsync<Redemption.BurnSettlement>("burns", s => s.RunAsync(ct), ct);
        await RunAsync<Redemption.WithdrawalService>("withdrawals-overdue", s => s.RunOverdueAsync(ct), ct);
        // Sunsets whose end date has come: redemption closes and the final snapshot is taken (per program, isolated).
        await RunAsync<Sunset.SunsetService>(Sunset.SunsetService.Step, s => s.RunAsync(ct), ct);
        // Last: folds what this pass changed (matured, settled, burned) into the KPI roll-ups, each program isolated.
        await RunAsync<Analytics.AnalyticsRollup>(Analytics.AnalyticsRollup.Step, s => s.RunAsync(ct), ct);
    }

    private async Task RunAsync<T>(string step, Func<T, Task<int>> run, CancellationToken ct) where T : notnull
    {
        var subject = "step:" + step;
        using var activity = Telemetry.LoyaltyMeters.Source.StartActivity("job.step " + step);
        activity?.SetTag("loyalty.job.step", step);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using (var scope = scopes.CreateScope()) await run(scope.ServiceProvider.GetRequiredService<T>());
            RecordStep(step, "ok", started);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            RecordStep(step, "failed", started);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            logger.LogError(ex, "Job step {Step} failed; the pass goes on with the next step", step);
            await alerts.RaiseAsync(StepFailedAlert, subject, $"Job step {step} failed: {ex.GetType().Name}: {ex.Message}", ct);
            return;
        }
        await alerts.ResolveAsync(StepFailedAlert, subject, ct);
    }

    private static void RecordStep(string step, string outcome, long started) =>
        Telemetry.LoyaltyMeters.JobStepDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("step", step), new KeyValuePair<string, object?>("outcome", outcome));
}
