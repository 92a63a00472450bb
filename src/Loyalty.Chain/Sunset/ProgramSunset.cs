using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Sunset;

public enum SunsetState
{
    /// <summary>Earning is refused; members still redeem and withdraw until <see cref="ProgramSunset.EndsAt"/>.</summary>
    Sunsetting,
    /// <summary>The end date passed (or an admin took the snapshot): redemption is refused too; the snapshot is final once taken.</summary>
    Ended,
}

/// <summary>
/// A program's sunset: requested once by an admin (who and when are kept, the audit trail), and its final snapshot:
/// every holder's balance and every collectible's owner at one block, committed to by Merkle roots.
/// </summary>
public sealed class ProgramSunset
{
    public long ProgramId { get; set; }
    public DateTime EndsAt { get; set; }
    public SunsetState State { get; set; }
    public DateTime RequestedAt { get; set; }
    /// <summary>"root" or "key:{id}" (<see cref="Access.ApiPrincipal.Actor"/>).</summary>
    public string RequestedBy { get; set; } = "";
    public DateTime? EndedAt { get; set; }

    public long? SnapshotBlock { get; set; }
    public string? SnapshotBlockHash { get; set; }
    public DateTime? SnapshotAt { get; set; }
    public string? PointsRoot { get; set; }
    public int? PointsLeafCount { get; set; }
    public string? CollectiblesRoot { get; set; }
    public int? CollectiblesLeafCount { get; set; }
    /// <summary>The full snapshot as published (<see cref="SunsetSnapshot"/> JSON); null until taken.</summary>
    public string? Snapshot { get; set; }
}

internal sealed class ProgramSunsetConfiguration : IEntityTypeConfiguration<ProgramSunset>
{
    public void Configure(EntityTypeBuilder<ProgramSunset> b)
    {
        b.ToTable("ProgramSunsets");
        b.HasKey(x => x.ProgramId);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.RequestedBy).HasMaxLength(64);
        b.Property(x => x.SnapshotBlockHash).HasMaxLength(66);
        b.Property(x => x.PointsRoot).HasMaxLength(66);
        b.Property(x => x.CollectiblesRoot).HasMaxLength(66);
        b.HasIndex(x => new { x.State, x.EndsAt });
    }
}
