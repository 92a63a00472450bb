using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Loyalty.Chain.Telemetry;

/// <summary>
/// The project's own instruments: one Meter and one ActivitySource, both named <see cref="Name"/>, instruments
/// named <c>loyalty.*</c> (Prometheus shows them as <c>loyalty_*</c>). Static, because a counter add with no listener
/// is a few nanoseconds and callers on the intake path must not pay for a lookup. Recording sites add per batch,
/// never per event, and no Activity is started per event.
/// </summary>
public static class LoyaltyMeters
{
    public const string Name = "Loyalty.Chain";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    // Intake
    public static readonly Counter<long> EventsAccepted = Meter.CreateCounter<long>("loyalty.intake.events.accepted", "{event}",
        "Events written (or replayed) by intake");
    public static readonly Counter<long> EventsRefused = Meter.CreateCounter<long>("loyalty.intake.events.refused", "{event}",
        "Events intake refused, by code");
    public static readonly Histogram<int> IntakeBatchSize = Meter.CreateHistogram<int>("loyalty.intake.batch.size", "{event}",
        "Events per intake transaction");
    public static readonly Histogram<double> IntakeCommitDuration = Meter.CreateHistogram<double>("loyalty.intake.commit.duration", "s",
        "Time to write and commit one intake transaction");

    // Group commit of request writes (redemptions; Ledger/GroupCommit)
    public static readonly Histogram<int> GroupCommitBatchSize = Meter.CreateHistogram<int>("loyalty.groupcommit.batch.size", "{request}",
        "Request writes (redemptions) per group transaction");
    public static readonly Histogram<double> GroupCommitDuration = Meter.CreateHistogram<double>("loyalty.groupcommit.commit.duration", "s",
        "Time to write and commit one group transaction");

    // Pipeline
    public static readonly Counter<long> ChainTxSubmitted = Meter.CreateCounter<long>("loyalty.chaintx.submitted", "{transaction}",
        "Transactions signed and broadcast (first send and resends)");
    public static readonly Counter<long> ChainTxMined = Meter.CreateCounter<long>("loyalty.chaintx.mined", "{transaction}",
        "Transactions seen in a block, by outcome");
    public static readonly Counter<long> ChainTxConfirmed = Meter.CreateCounter<long>("loyalty.chaintx.confirmed", "{transaction}",
        "Transactions that reached confirmation depth (Final), by outcome");

    // Settlement
    public static readonly Counter<long> AccrualsSettled = Meter.CreateCounter<long>("loyalty.settlement.accruals.settled", "{accrual}",
        "Mint intents confirmed on chain");
    public static readonly Counter<long> SettlementGasUsed = Meter.CreateCounter<long>("loyalty.settlement.gas.used", "{gas}",
        "Gas used by finished settlement mint batches");

    // Jobs
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("loyalty.job.duration", "s",
        "Duration of one Hangfire job run, by job and outcome");
    public static readonly Histogram<double> JobStepDuration = Meter.CreateHistogram<double>("loyalty.job.step.duration", "s",
        "Duration of one step of a recurring pass, by step and outcome");

    // Reconciliation: members (plus one for the total supply) that differ from the chain at the last check, per program.
    private static readonly Dictionary<long, int> LastDrift = new();
    private static readonly ObservableGauge<int> DriftGauge = Meter.CreateObservableGauge("loyalty.reconciliation.drift", ObserveDrift,
        "{member}", "Members whose ledger on-chain balance differs from the chain at the last reconciliation (+1 when totalSupply differs)");

    public static void RecordDrift(long programId, int drift)
    {
        lock (LastDrift) LastDrift[programId] = drift;
    }

    private static List<Measurement<int>> ObserveDrift()
    {
        lock (LastDrift) return LastDrift.Select(kv => new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("program", kv.Key))).ToList();
    }

    /// <summary>Adds <paramref name="count"/> under a single tag, skipping zeroes (no allocation either way).</summary>
    public static void AddTagged(this Counter<long> counter, long count, string tag, string? value)
    {
        if (count != 0) counter.Add(count, new KeyValuePair<string, object?>(tag, value));
    }
}
