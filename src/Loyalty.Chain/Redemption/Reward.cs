using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Redemption;

public enum RewardType { DiscountCoupon, FreeProduct, FreeShipping, Experience, PartnerVoucher, Collectible, Donation }

public enum CouponSource { Generated, Pool, None }

/// <summary>An item of a program's reward catalog.</summary>
public sealed class Reward
{
    /// <summary>The attribute naming a reward's category (recommendations): descriptive, not an eligibility condition.</summary>
    public const string CategoryAttribute = "category";

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public RewardType Type { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>Price in points (smallest token unit).</summary>
    public long Cost { get; set; }
    /// <summary>Null = unlimited.</summary>
    public int? Stock { get; set; }
    /// <summary>How many were handed out (cancellations give stock back).</summary>
    public int Issued { get; set; }
    public int? PerMemberLimit { get; set; }
    public string[] Tiers { get; set; } = [];
    public Dictionary<string, string> Attributes { get; set; } = new();
    public DateTime? ValidFrom { get; set; }
    public DateTime? ValidUntil { get; set; }
    public CouponSource Coupons { get; set; }
    /// <summary>For a collectible reward: the drop it mints from.</summary>
    public long? DropId { get; set; }
    /// <summary>A code handed out for this reward is valid this many days; null = no expiry.</summary>
    public int? CouponValidDays { get; set; }
    /// <summary>For a donation reward: the cause its points are burned for.</summary>
    public long? CauseId { get; set; }
    /// <summary>Only members of this segment may redeem it (issue 13); null = everyone eligible otherwise.</summary>
    public long? SegmentId { get; set; }
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

/// <summary>A coupon code: generated at redemption (unguessable) or uploaded as a pool in advance.</summary>
public sealed class CouponCode
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long RewardId { get; set; }
    public string Code { get; set; } = "";
    public long? RedemptionId { get; set; }
    /// <summary>Set when its redemption was voided or refunded: a shop's check of the code must refuse it.</summary>
    public DateTime? VoidedAt { get; set; }
    /// <summary>Set when the code is handed out, from the reward's couponValidDays; null = no expiry.</summary>
    public DateTime? ExpiresAt { get; set; }
    /// <summary>Set once, by one conditional update, when a till used the code.</summary>
    public DateTime? UsedAt { get; set; }
    public long? UsedByKeyId { get; set; }
    public string? UsedOrderId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class RewardConfiguration : IEntityTypeConfiguration<Reward>, IEntityTypeConfiguration<CouponCode>
{
    public void Configure(EntityTypeBuilder<Reward> b)
    {
        b.ToTable("Rewards");
        b.Property(x => x.Type).HasConversion<string>().HasMaxLength(24);
        b.Property(x => x.Coupons).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Tiers).HasConversion(v => string.Join('\n', v), v => v.Length == 0 ? Array.Empty<string>() : v.Split('\n', StringSplitOptions.None))
            .Metadata.SetValueComparer(new ValueComparer<string[]>((a, c) => a!.SequenceEqual(c!), v => v.Length, v => v.ToArray()));
        b.Property(x => x.Attributes).HasConversion(
                v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
                v => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(v, (System.Text.Json.JsonSerializerOptions?)null) ?? new())
            .Metadata.SetValueComparer(new ValueComparer<Dictionary<string, string>>(
                (a, c) => a!.Count == c!.Count && !a.Except(c).Any(), v => v.Count, v => new Dictionary<string, string>(v)));
        b.HasIndex(x => x.ProgramId);
        b.HasIndex(x => x.CauseId);
    }

    public void Configure(EntityTypeBuilder<CouponCode> b)
    {
        b.ToTable("CouponCodes");
        b.Property(x => x.Code).HasMaxLength(64);
        b.Property(x => x.UsedOrderId).HasMaxLength(128);
        b.HasIndex(x => new { x.ProgramId, x.Code }).IsUnique();
        b.HasIndex(x => new { x.RewardId, x.RedemptionId });
    }
}
