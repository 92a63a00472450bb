using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Indexer;

/// <summary>
/// On-chain balance of one holder as of the contract's checkpoint: points for ERC-20, the number of
/// tokens held for ERC-721. Zero balances stay (the holder once held some).
/// </summary>
public sealed class TokenHolding
{
    public string Contract { get; set; } = "";
    /// <summary>Lower-case address; never the zero address.</summary>
    public string Holder { get; set; } = "";
    public long ProgramId { get; set; }
    public BigInteger Balance { get; set; }
    public long UpdatedAtBlock { get; set; }
}

/// <summary>Current owner of one ERC-721 token; the row is removed when the token is burnt.</summary>
public sealed class CollectibleOwner
{
    public string Contract { get; set; } = "";
    public BigInteger TokenId { get; set; }
    public long ProgramId { get; set; }
    /// <summary>Lower-case address.</summary>
    public string Owner { get; set; } = "";
    public long UpdatedAtBlock { get; set; }
}

internal sealed class HoldingsConfiguration : IEntityTypeConfiguration<TokenHolding>, IEntityTypeConfiguration<CollectibleOwner>
{
    public void Configure(EntityTypeBuilder<TokenHolding> b)
    {
        b.ToTable("TokenHoldings");
        b.HasKey(x => new { x.Contract, x.Holder });
        b.Property(x => x.Contract).HasMaxLength(42);
        b.Property(x => x.Holder).HasMaxLength(42);
        b.HasIndex(x => new { x.ProgramId, x.Holder });
    }

    public void Configure(EntityTypeBuilder<CollectibleOwner> b)
    {
        b.ToTable("CollectibleOwners");
        b.HasKey(x => new { x.Contract, x.TokenId });
        b.Property(x => x.Contract).HasMaxLength(42);
        b.Property(x => x.Owner).HasMaxLength(42);
        b.HasIndex(x => new { x.Contract, x.Owner });
    }
}
