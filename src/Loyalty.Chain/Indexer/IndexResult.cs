namespace Loyalty.Chain.Indexer;

public enum IndexStatus
{
    /// <summary>Indexed up to the block at confirmation depth (or nothing new there).</summary>
    Indexed,
    /// <summary>Stopped early for a passing reason (node behind, chain moved while read, another instance busy); the next run goes on.</summary>
    Interrupted,
    /// <summary>The checkpointed block is no longer canonical: a reorg deeper than the confirmation depth. Needs an operator.</summary>
    ReorgDetected,
    /// <summary>An error (node, database) stopped the scan; what was committed stays.</summary>
    Failed,
}

/// <summary>The outcome of one contract's scan. <see cref="IndexedBlock"/> is its checkpoint afterwards (-1 when <see cref="IndexStatus.Failed"/>).</summary>
public sealed record IndexResult(
    long ProgramId,
    string Contract,
    IndexStatus Status,
    long IndexedBlock,
    long SafeBlock,
    int TransfersApplied,
    string? Detail = null)
{
    public bool ReorgDetected => Status == IndexStatus.ReorgDetected;
}
