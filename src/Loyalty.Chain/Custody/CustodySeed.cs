using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>A program's BIP-39 seed (32 bytes of entropy, 24 words), from which every member wallet derives.</summary>
public sealed class CustodySeed
{
    public long ProgramId { get; set; }
    public required EncryptedSecret Secret { get; set; }

    /// <summary>The next derivation index to hand out; only ever moved by an atomic increment.</summary>
    public int NextIndex { get; set; }
    public DateTime CreatedAt { get; set; }

    internal static string Purpose(long programId) => $"seed:program:{programId}";
}

internal sealed class CustodySeedConfiguration : IEntityTypeConfiguration<CustodySeed>
{
    public void Configure(EntityTypeBuilder<CustodySeed> builder)
    {
        builder.ToTable("CustodySeeds");
        builder.HasKey(s => s.ProgramId);
        builder.Property(s => s.ProgramId).ValueGeneratedNever();
        builder.HasEncryptedSecret(s => s.Secret);
    }
}
