using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Offers;

public enum OfferKind { RewardPrice, BonusRule }

/// <summary>
/// A personal offer: for a segment or a list of members, during [StartsAt, EndsAt), either a reward at a special cost
/// (the lowest applicable offer is charged) or a bonus earning rule the offer owns (its conditions carry the audience).
/// </summary>
public sealed class Offer
{
    public const int MaxMembers = 10_000;

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public OfferKind Kind { get; set; }
    /// <summary>The audience: a segment, or (when null) the members listed in <see cref="OfferMember"/>.</summary>
    public long? SegmentId { get; set; }
    public int ListedMembers { get; set; }
    public DateTime StartsAt { get; set; }
    public DateTime EndsAt { get; set; }
    public bool Active { get; set; } = true;
    public long? RewardId { get; set; }
    public long? Cost { get; set; }
    /// <summary>For a bonus rule: the earning rule the offer created (kept in step with Active and EndsAt).</summary>
    public long? RuleId { get; set; }
    public DateTime CreatedAt { get; set; }

    public bool IsLive(DateTime now) => Active && StartsAt <= now && now < EndsAt;
}

/// <summary>One member on an offer's list.</summary>
public sealed class OfferMember
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long OfferId { get; set; }
    public long MemberId { get; set; }
}

internal sealed class OfferConfiguration : IEntityTypeConfiguration<Offer>, IEntityTypeConfiguration<OfferMember>
{
    public void Configure(EntityTypeBuilder<Offer> b)
    {
        b.ToTable("Offers");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(1000);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.Active, x.EndsAt });
        b.HasIndex(x => new { x.ProgramId, x.RewardId });
    }

    public void Configure(EntityTypeBuilder<OfferMember> b)
    {
        b.ToTable("OfferMembers");
        b.HasIndex(x => new { x.OfferId, x.MemberId }).IsUnique();
        b.HasIndex(x => new { x.ProgramId, x.MemberId });
    }
}
