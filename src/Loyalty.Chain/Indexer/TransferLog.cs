using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Indexer;

/// <summary>
/// One Transfer event as the chain recorded it, whoever sent it: the source of the holdings and of
/// members' history. Addresses are lower-case; mints come from and burns go to the zero address.
/// </summary>
public sealed class TransferLog
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Contract { get; set; } = "";
    public long BlockNumber { get; set; }
    public string BlockHash { get; set; } = "";
    public string TxHash { get; set; } = "";
    public long LogIndex { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    /// <summary>Points moved (ERC-20); 1 for an ERC-721 transfer.</summary>
    public BigInteger Value { get; set; }
    /// <summary>The token moved (ERC-721); null for ERC-20.</summary>
    public BigInteger? TokenId { get; set; }
}

internal sealed class TransferLogConfiguration : IEntityTypeConfiguration<TransferLog>
{
    public void Configure(EntityTypeBuilder<TransferLog> b)
    {
        b.ToTable("TransferLogs");
        b.Property(x => x.Contract).HasMaxLength(42);
        b.Property(x => x.From).HasMaxLength(42);
        b.Property(x => x.To).HasMaxLength(42);
        b.Property(x => x.BlockHash).HasMaxLength(66);
        b.Property(x => x.TxHash).HasMaxLength(66);
        // A log is applied at most once, even if a range is scanned again.
        b.HasIndex(x => new { x.TxHash, x.LogIndex }).IsUnique();
        b.HasIndex(x => new { x.Contract, x.BlockNumber });
        b.HasIndex(x => new { x.Contract, x.From });
        b.HasIndex(x => new { x.Contract, x.To });
    }
}
