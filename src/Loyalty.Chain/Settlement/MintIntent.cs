using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Settlement;

/// <summary>Cancelled: retired (expired, deducted) before it was minted; a remainder, if any, was queued as a new intent.</summary>
public enum IntentStatus { Queued, Batched, Confirmed, Cancelled }

/// <summary>Points that are available in the ledger and must be minted to the member's wallet.</summary>
public sealed class MintIntent
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public string Address { get; set; } = "";
    public long Amount { get; set; }
    public IntentStatus Status { get; set; }
    public long? BatchId { get; set; }
    public int FailedBatches { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }
}

public enum BatchStatus { Pending, Confirmed, Failed }

/// <summary>One mintBatch transaction: a chunk of merged intents sent through the pipeline.</summary>
public sealed class SettlementBatch
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long ChainTxId { get; set; }
    /// <summary>"mint" (settlement) or "burn" (redemptions).</summary>
    public string Kind { get; set; } = KindMint;
    public const string KindMint = "mint";
    public const string KindBurn = "burn";
    public int Recipients { get; set; }
    public long Total { get; set; }
    public BatchStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

internal sealed class SettlementConfiguration : IEntityTypeConfiguration<MintIntent>, IEntityTypeConfiguration<SettlementBatch>
{
    public void Configure(EntityTypeBuilder<MintIntent> b)
    {
        b.ToTable("MintIntents");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.Status });
        b.HasIndex(x => x.BatchId);
    }

    public void Configure(EntityTypeBuilder<SettlementBatch> b)
    {
        b.ToTable("SettlementBatches");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.Status });
    }
}
