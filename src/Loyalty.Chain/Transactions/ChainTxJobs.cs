using Hangfire;
using Loyalty.Chain.Leases;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// The pipeline's Hangfire jobs. They take ids (never entities), are re-entrant (each step checks
/// the row's state first), and declare their retries. Submitting and confirming are separate jobs;
/// the recurring passes work on batches, never one job per accrual.
/// </summary>
public sealed class ChainTxJobs(PipelineRunner runner, LeaseService leases)
{
    public const string SubmitRecurringId = "chain-submit";
    public const string ConfirmRecurringId = "chain-confirm";

    /// <summary>
    /// Recurring: every Queued row that is due. A lease (not Hangfire's lock, which outlives a killed
    /// instance by its whole timeout) makes overlapping runs skip rather than stack.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public Task SubmitDueAsync(CancellationToken ct) => leases.RunExclusiveAsync(SubmitRecurringId, runner.SubmitDueAsync, ct);

    /// <summary>Recurring: every Sent or Mined row, and paused senders that may be funded again.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task ConfirmInFlightAsync(CancellationToken ct) => leases.RunExclusiveAsync(ConfirmRecurringId, runner.ConfirmInFlightAsync, ct);
}
