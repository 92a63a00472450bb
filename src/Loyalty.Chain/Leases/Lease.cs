using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Leases;

/// <summary>
/// The right to run one recurring pass (e.g. "chain-submit"), held by one service instance until
/// <see cref="ExpiresAt"/>. A holder renews it while it works; a holder that died simply stops renewing,
/// so its lease lapses within seconds instead of waiting for a long-lived lock to time out.
/// </summary>
public sealed class Lease
{
    public string Name { get; set; } = "";
    /// <summary>Instance id of the holder; null once released.</summary>
    public string? Holder { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<Lease>
{
    public void Configure(EntityTypeBuilder<Lease> b)
    {
        b.ToTable("Leases");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasMaxLength(100);
        b.Property(x => x.Holder).HasMaxLength(200);
    }
}

/// <summary>Lease timing (section "Leases").</summary>
public sealed class LeaseOptions
{
    public const string Section = "Leases";
    /// <summary>How long a lease lasts without renewal: the longest a crashed holder blocks the pass.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>How often a running pass renews its lease; well under <see cref="Duration"/>.</summary>
    public TimeSpan RenewEvery { get; set; } = TimeSpan.FromSeconds(1.5);
}
