using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>A member wallet the service holds: the program seed at m/44'/60'/0'/0/{Index}. No key is stored.</summary>
public sealed class CustodialWallet
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public int Index { get; set; }

    /// <summary>Lower-case 0x hex, so equality and unique indexes behave alike on every provider.</summary>
    public required string Address { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class CustodialWalletConfiguration : IEntityTypeConfiguration<CustodialWallet>
{
    public void Configure(EntityTypeBuilder<CustodialWallet> builder)
    {
        builder.ToTable("CustodialWallets");
        builder.HasKey(w => w.Id);
        builder.Property(w => w.Address).HasMaxLength(42);
        // Second line of defence behind the atomic index increment: a duplicate can never be committed.
        builder.HasIndex(w => new { w.ProgramId, w.Index }).IsUnique();
        builder.HasIndex(w => new { w.ProgramId, w.Address }).IsUnique();
    }
}
