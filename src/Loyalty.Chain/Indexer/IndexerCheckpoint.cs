using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Indexer;

/// <summary>
/// How far one contract is indexed. It moves only in the database transaction that applies the
/// range's transfers, so the tables are always exactly "every Transfer up to <see cref="LastBlock"/>".
/// </summary>
public sealed class IndexerCheckpoint
{
    public long ChainId { get; set; }
    /// <summary>Lower-case address.</summary>
    public string Contract { get; set; } = "";
    public long ProgramId { get; set; }
    public TokenStandard Standard { get; set; }

    /// <summary>Last fully indexed block; StartBlock - 1 before the first range.</summary>
    public long LastBlock { get; set; }
    /// <summary>Hash of <see cref="LastBlock"/> when indexed; checked against the chain before going on.</summary>
    public string? LastBlockHash { get; set; }
    /// <summary>Minted minus burnt up to <see cref="LastBlock"/> (tokens for ERC-721); equals the sum of holdings.</summary>
    public BigInteger Supply { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class IndexerCheckpointConfiguration : IEntityTypeConfiguration<IndexerCheckpoint>
{
    public void Configure(EntityTypeBuilder<IndexerCheckpoint> b)
    {
        b.ToTable("IndexerCheckpoints");
        b.HasKey(x => new { x.ChainId, x.Contract });
        b.Property(x => x.Contract).HasMaxLength(42);
        b.Property(x => x.Standard).HasConversion<string>().HasMaxLength(8);
        b.Property(x => x.LastBlockHash).HasMaxLength(66);
        // The guard: a range is applied only by the instance whose UPDATE still sees the old block.
        b.Property(x => x.LastBlock).IsConcurrencyToken();
        b.HasIndex(x => x.ProgramId);
    }
}
