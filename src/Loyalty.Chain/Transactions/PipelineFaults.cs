namespace Loyalty.Chain.Transactions;

/// <summary>Points in the pipeline where a crash is most dangerous; the fault tests stop the process there.</summary>
public enum FaultPoint
{
    /// <summary>The ChainTx row is committed (Queued) and nothing has been signed.</summary>
    AfterQueued,
    /// <summary>The signed attempt (hash, raw) is committed but not yet broadcast.</summary>
    AfterRecordBeforeBroadcast,
    /// <summary>The node accepted the transaction; the broadcast bookkeeping is not yet written.</summary>
    AfterBroadcastBeforeRecord,
    /// <summary>The receipt was read; the Mined state is not yet written.</summary>
    AfterReceiptBeforeRecord,
}

/// <summary>Hook for fault injection; production uses <see cref="NoFaults"/>.</summary>
public interface IPipelineFaults
{
    void At(FaultPoint point, long chainTxId);
}

public sealed class NoFaults : IPipelineFaults
{
    public void At(FaultPoint point, long chainTxId) { }
}
