using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Redemption;

public enum RedemptionStatus
{
    /// <summary>Points reserved, reward issued; the burn is waiting (for the batch, or for points still being minted).</summary>
    Reserved,
    /// <summary>Self-custody: waiting for the member's EIP-712 Burn signature.</summary>
    AwaitingSignature,
    /// <summary>The burn is in a burnBatchWithSignature transaction.</summary>
    Burning,
    /// <summary>Burned on chain; points retired.</summary>
    Completed,
    /// <summary>Cancelled before the burn: points released, stock and coupon returned.</summary>
    Cancelled,
    /// <summary>Refunded after the burn: the points were minted back.</summary>
    Refunded,
    /// <summary>
    /// Voided by an admin after the reward was handed out but before the burn: points released, the code void
    /// (stock is not given back: a code someone has seen is never handed to another member).
    /// </summary>
    Voided,
    /// <summary>The burn could not be done within the allowed attempts: reservation released, the code void.</summary>
    Failed,
}

/// <summary>
/// Why points are burned: a reward, or points retired without one (an admin's deduction, a return clawed back after its
/// window, an expiry). All go through the same reservation and signed burn batches.
/// </summary>
public enum RedemptionKind { Reward, Deduction, Clawback, Expiry }

/// <summary>A member spending points on a reward, or points retired by the program. The row is also the burn intent.</summary>
public sealed class Redemption
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    /// <summary>0 when <see cref="Kind"/> is not <see cref="RedemptionKind.Reward"/>.</summary>
    public long RewardId { get; set; }
    public RedemptionKind Kind { get; set; }
    public long Cost { get; set; }
    /// <summary>The personal offer whose special cost was charged instead of the reward's (issue 13); null = regular cost.</summary>
    public long? OfferId { get; set; }
    public RedemptionStatus Status { get; set; }
    public string? CouponCode { get; set; }
    /// <summary>The wallet the points are burned from.</summary>
    public string Owner { get; set; } = "";
    public bool SelfCustody { get; set; }
    /// <summary>Signed Burn fields (custodial: signed by the service at batch time; self-custody: by the member).</summary>
    public long? BurnNonce { get; set; }
    public long? BurnDeadline { get; set; }
    public string? BurnSignature { get; set; }
    public long? BatchId { get; set; }
    /// <summary>Position of this redemption's entry in the batch (several custodial redemptions of one member share one entry).</summary>
    public int? BatchIndex { get; set; }
    public string? FailureCode { get; set; }
    /// <summary>When a code was shown or a collectible granted: from then on only an admin may undo the redemption (void).</summary>
    public DateTime? IssuedAt { get; set; }
    /// <summary>When an admin voided (or refunded) the issued reward, or a failed burn voided it: its code must be refused.</summary>
    public DateTime? VoidedAt { get; set; }
    /// <summary>Burn rounds this redemption was put into (or held back from because the chain lacked the points).</summary>
    public int BurnAttempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class RedemptionConfiguration : IEntityTypeConfiguration<Redemption>
{
    public void Configure(EntityTypeBuilder<Redemption> b)
    {
        b.ToTable("Redemptions");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(24);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.Status });
        b.HasIndex(x => new { x.MemberId, x.RewardId });
        b.HasIndex(x => x.BatchId);
    }
}
