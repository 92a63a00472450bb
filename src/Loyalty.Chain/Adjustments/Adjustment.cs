using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Adjustments;

public enum AdjustmentType { Grant, Deduct }

/// <summary>
/// An admin's manual change of a member's points (goodwill, correction, fraud), with a reason code and a comment.
/// A grant mints like an accrual; a deduction takes what the member has available, never more (<see cref="Shortfall"/>).
/// </summary>
public sealed class Adjustment
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public AdjustmentType Type { get; set; }
    /// <summary>What the admin asked for.</summary>
    public long Points { get; set; }
    /// <summary>What was granted or deducted.</summary>
    public long Applied { get; set; }
    /// <summary>A deduction's part the member did not have available (or held in their own wallet).</summary>
    public long Shortfall { get; set; }
    /// <summary>Of a deduction: cancelled before it was minted, and burned from the custodial wallet.</summary>
    public long CancelledBeforeMint { get; set; }
    public long Burned { get; set; }
    public long? BurnId { get; set; }
    public long? MintIntentId { get; set; }
    public string Reason { get; set; } = "";
    public string? Comment { get; set; }
    /// <summary>"root" or "key:{id}": who made it.</summary>
    public string Actor { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

internal sealed class AdjustmentConfiguration : IEntityTypeConfiguration<Adjustment>
{
    public void Configure(EntityTypeBuilder<Adjustment> b)
    {
        b.ToTable("Adjustments");
        b.Property(x => x.Type).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Reason).HasMaxLength(32);
        b.Property(x => x.Comment).HasMaxLength(500);
        b.Property(x => x.Actor).HasMaxLength(64);
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.Id });
    }
}
