using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Transactions;

/// <summary>Where a <see cref="ChainTx"/> is in its life. Stored as text so the database reads plainly.</summary>
public enum ChainTxStatus
{
    /// <summary>Accepted, not yet signed (or sent back here to be signed again).</summary>
    Queued,
    /// <summary>Signed and recorded (hash first, then broadcast); waiting for a receipt.</summary>
    Sent,
    /// <summary>In a block, not yet at confirmation depth. <see cref="ChainTx.Outcome"/> is set.</summary>
    Mined,
    /// <summary>At confirmation depth: terminal.</summary>
    Final,
    /// <summary>Never went on chain and will not (a revert at estimation, a call too large): terminal.</summary>
    Errored,
    /// <summary>Withdrawn before it landed; its nonce, if it had one, was consumed by a no-op: terminal.</summary>
    Cancelled,
}

public enum ChainTxOutcome
{
    Succeeded,
    Reverted,
}

/// <summary>
/// One on-chain change the service makes. Every transaction goes through this row: nothing is
/// sent that was not first recorded here, and every signed variant (hash, fees) is kept as an
/// <see cref="ChainTxAttempt"/>, written before it is broadcast.
/// </summary>
public sealed partial class ChainTx
{
    public long Id { get; set; }
    public long ChainId { get; set; }
    public string From { get; set; } = "";
    /// <summary>Null for a contract deployment.</summary>
    public string? To { get; set; }
    public string Data { get; set; } = "0x";
    public BigInteger Value { get; set; }
    /// <summary>What the transaction is for, e.g. "points.mintBatch"; correlates it with business rows.</summary>
    public string Purpose { get; set; } = "";
    public string? Reference { get; set; }

    /// <summary>Moves only through the guarded transitions in ChainTx.Transitions.cs.</summary>
    public ChainTxStatus Status { get; private set; }
    public ChainTxOutcome? Outcome { get; private set; }
    public long? Nonce { get; set; }
    public long? GasLimit { get; set; }
    public int ResendCount { get; set; }
    public bool CancelRequested { get; set; }

    public string? MinedHash { get; set; }
    public long? BlockNumber { get; set; }
    public string? BlockHash { get; set; }
    public long? GasUsed { get; set; }
    public BigInteger? EffectiveGasPrice { get; set; }
    public string? ContractAddress { get; set; }

    /// <summary>Stable code of the last error (e.g. a decoded custom error name or RPC_UNAVAILABLE).</summary>
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastBroadcastAt { get; set; }
    /// <summary>Do not touch before this time (backoff after transport errors, fee ceiling, paused sender).</summary>
    public DateTime? NotBefore { get; set; }

    /// <summary>
    /// Consecutive confirm passes that found the nonce consumed at the safe block while no attempt was known
    /// to the node by hash or receipt. Only a run of them (never one answer of a lagging node) allows a re-sign.
    /// </summary>
    public int NonceLostPasses { get; set; }
    /// <summary>An operator alert (stuck, nonce lost) is open for this row; resolved when it lands.</summary>
    public bool AlertOpen { get; set; }
    /// <summary>When the outcome handler of <see cref="Purpose"/> applied this terminal row; null until then.</summary>
    public DateTime? OutcomeHandledAt { get; set; }

    /// <summary>Optimistic concurrency: two service instances never both move the same row.</summary>
    public int Version { get; set; }

    public List<ChainTxAttempt> Attempts { get; set; } = [];

    public bool IsTerminal => Status is ChainTxStatus.Final or ChainTxStatus.Errored or ChainTxStatus.Cancelled;
}

/// <summary>One signed variant of a <see cref="ChainTx"/> (same nonce; fees bumped or a no-op cancel).</summary>
public sealed class ChainTxAttempt
{
    public long Id { get; set; }
    public long ChainTxId { get; set; }
    public string Hash { get; set; } = "";
    /// <summary>The signed raw transaction, so a dropped one can be broadcast again unchanged.</summary>
    public string RawTransaction { get; set; } = "";
    public long Nonce { get; set; }
    public BigInteger MaxFeePerGas { get; set; }
    public BigInteger MaxPriorityFeePerGas { get; set; }
    public long GasLimit { get; set; }
    public bool IsCancellation { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class ChainTxConfiguration : IEntityTypeConfiguration<ChainTx>, IEntityTypeConfiguration<ChainTxAttempt>
{
    public void Configure(EntityTypeBuilder<ChainTx> b)
    {
        b.ToTable("ChainTxs");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.Property(x => x.From).HasMaxLength(42);
        b.Property(x => x.To).HasMaxLength(42);
        b.HasIndex(x => new { x.Status, x.NotBefore });
        b.HasIndex(x => new { x.ChainId, x.From, x.Nonce });
        b.HasIndex(x => new { x.Purpose, x.Reference });
        b.HasIndex(x => new { x.OutcomeHandledAt, x.Status });
        b.HasMany(x => x.Attempts).WithOne().HasForeignKey(a => a.ChainTxId);
    }

    public void Configure(EntityTypeBuilder<ChainTxAttempt> b)
    {
        b.ToTable("ChainTxAttempts");
        b.HasIndex(x => x.Hash).IsUnique();
    }
}
