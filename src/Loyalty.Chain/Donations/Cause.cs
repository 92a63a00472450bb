using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Donations;

/// <summary>A cause a program's members donate points to, through rewards of type Donation (fixed cost each).</summary>
public sealed class Cause
{
    public const int MaxName = 200;
    public const int MaxDescription = 2000;
    public const int MaxUrl = 500;

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>https only.</summary>
    public string? Url { get; set; }
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class CauseConfiguration : IEntityTypeConfiguration<Cause>
{
    public void Configure(EntityTypeBuilder<Cause> b)
    {
        b.ToTable("Causes");
        b.Property(x => x.Name).HasMaxLength(Cause.MaxName);
        b.Property(x => x.Description).HasMaxLength(Cause.MaxDescription);
        b.Property(x => x.Url).HasMaxLength(Cause.MaxUrl);
        b.HasIndex(x => new { x.ProgramId, x.Id });
    }
}
