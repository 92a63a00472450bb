using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Collectibles;

public enum DropMintStatus
{
    /// <summary>Planned; waits for the drop to be published and for supply.</summary>
    Queued,
    /// <summary>In a mintBatch transaction (<see cref="DropMint.BatchId"/>).</summary>
    Batched,
    /// <summary>Final on chain; <see cref="DropMint.TokenId"/> is set.</summary>
    Minted,
    /// <summary>Will not be minted; <see cref="DropMint.FailureCode"/> says why (SOLD_OUT, WINDOW_CLOSED, a revert).</summary>
    Failed,
}

/// <summary>
/// One token planned for one member (an airdrop recipient, a badge, a reward, an open claim). Unique per
/// (drop, member, sequence); single drops only ever use sequence 0, so a member gets at most one token.
/// </summary>
public sealed class DropMint
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long DropId { get; set; }
    public long MemberId { get; set; }
    public int Sequence { get; set; }
    /// <summary>What planned it: airdrop, badge, reward, claim.</summary>
    public string Source { get; set; } = "";
    public string? Reason { get; set; }
    /// <summary>The member's wallet when the mint was cut into a batch (lower-case).</summary>
    public string? Address { get; set; }
    public DropMintStatus Status { get; set; }
    public string? FailureCode { get; set; }
    public long? BatchId { get; set; }
    /// <summary>Position in the batch's recipient list: the i-th Transfer log of the receipt is this token.</summary>
    public int? BatchIndex { get; set; }
    public BigInteger? TokenId { get; set; }
    public int FailedBatches { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? MintedAt { get; set; }
    /// <summary>Optimistic concurrency: two instances never cut the same row into two batches.</summary>
    public int Version { get; set; }
}

public enum DropBatchStatus { Pending, Confirmed, Failed }

/// <summary>One mintBatch transaction of a drop: a chunk of its queued mints, sent through the pipeline.</summary>
public sealed class DropMintBatch
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long DropId { get; set; }
    public long ChainTxId { get; set; }
    public int Recipients { get; set; }
    public DropBatchStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public enum VoucherStatus
{
    /// <summary>Signed and handed out; the member may claim it, or ask the operator to relay it.</summary>
    Issued,
    /// <summary>The operator's claim transaction is in the pipeline.</summary>
    Relaying,
    /// <summary>Used on chain (by our relay or by the member).</summary>
    Claimed,
}

/// <summary>An EIP-712 claim voucher given to a self-custody member; at most one per member and drop.</summary>
public sealed class DropVoucher
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long DropId { get; set; }
    public long MemberId { get; set; }
    public string Recipient { get; set; } = "";
    /// <summary>Random 128-bit nonce, decimal; the contract accepts each once.</summary>
    public string Nonce { get; set; } = "";
    /// <summary>Unix seconds.</summary>
    public long Deadline { get; set; }
    public string Signature { get; set; } = "";
    public VoucherStatus Status { get; set; }
    public long? RelayTxId { get; set; }
    public string? RelayError { get; set; }
    public BigInteger? TokenId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class DropMintConfiguration : IEntityTypeConfiguration<DropMint>, IEntityTypeConfiguration<DropMintBatch>,
    IEntityTypeConfiguration<DropVoucher>
{
    public void Configure(EntityTypeBuilder<DropMint> b)
    {
        b.ToTable("DropMints");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Source).HasMaxLength(32);
        b.Property(x => x.Reason).HasMaxLength(200);
        b.Property(x => x.Address).HasMaxLength(42);
        b.Property(x => x.FailureCode).HasMaxLength(64);
        b.Property(x => x.Version).IsConcurrencyToken();
        // The at-most-once guarantee: a second plan for the same member and sequence fails on insert.
        b.HasIndex(x => new { x.DropId, x.MemberId, x.Sequence }).IsUnique();
        b.HasIndex(x => new { x.DropId, x.Status });
        b.HasIndex(x => x.BatchId);
        b.HasIndex(x => x.TokenId);
        b.HasOne<Drop>().WithMany().HasForeignKey(x => x.DropId).OnDelete(DeleteBehavior.Restrict);
    }

    public void Configure(EntityTypeBuilder<DropMintBatch> b)
    {
        b.ToTable("DropMintBatches");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.DropId, x.Status });
        b.HasIndex(x => x.Status);
    }

    public void Configure(EntityTypeBuilder<DropVoucher> b)
    {
        b.ToTable("DropVouchers");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Recipient).HasMaxLength(42);
        b.Property(x => x.Nonce).HasMaxLength(40);
        b.Property(x => x.Signature).HasMaxLength(140);
        b.HasIndex(x => new { x.DropId, x.MemberId }).IsUnique();
        b.HasIndex(x => x.Nonce).IsUnique();
        b.HasIndex(x => x.Status);
    }
}
