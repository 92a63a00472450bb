using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain;

/// <summary>
/// One program's part of a job step, run so that its failure stays its own: logged, alerted as
/// <see cref="LoyaltyJobs.StepFailedAlert"/> naming the step and the program, and skipped, while the loop goes
/// on with the next program; the alert is resolved once the program's part succeeds again. The tracked state of the shared context is dropped, so nothing half-done of the
/// failed program is saved along with the next one.
/// </summary>
public static class JobIsolation
{
    public static async Task<T?> ForProgramAsync<T>(this AlertSink alerts, LoyaltyDbContext db, ILogger logger, string step, long programId,
        Func<Task<T>> work, CancellationToken ct)
    {
        var subject = $"{step}:program:{programId}";
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { ["ProgramId"] = programId, ["JobStep"] = step });
        T result;
        try
        {
            result = await work();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            db.ChangeTracker.Clear();
            logger.LogError(ex, "Job step {Step} failed for program {ProgramId}; the other programs go on", step, programId);
            await alerts.RaiseAsync(LoyaltyJobs.StepFailedAlert, subject,
                $"Job step {step} failed for program {programId} and was skipped: {ex.GetType().Name}: {ex.Message}", ct);
            return default;
        }
        await alerts.ResolveAsync(LoyaltyJobs.StepFailedAlert, subject, ct);
        return result;
    }

    public static Task ForProgramAsync(this AlertSink alerts, LoyaltyDbContext db, ILogger logger, string step, long programId,
        Func<Task> work, CancellationToken ct) =>
        alerts.ForProgramAsync(db, logger, step, programId, async () => { await work(); return true; }, ct);
}
