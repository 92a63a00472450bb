using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Referrals;

public enum ReferralStatus { Pending, Qualified, Rewarded, Refused }

/// <summary>Stable reason codes of a refused referral.</summary>
public static class ReferralReasons
{
    public const string SelfReferral = "SELF_REFERRAL";
    public const string SameEmail = "SAME_EMAIL";
    public const string SamePhone = "SAME_PHONE";
    public const string SameWallet = "SAME_WALLET";
    public const string MonthlyCap = "MONTHLY_CAP";
    public const string QualifyWindowPassed = "QUALIFY_WINDOW_PASSED";
    public const string Returned = "RETURNED";
    public const string PolicyInactive = "POLICY_INACTIVE";
    public const string ProgramSunsetting = "PROGRAM_SUNSETTING";
}

/// <summary>A program's referral rules (one row per program).</summary>
public sealed class ReferralPolicy
{
    public long ProgramId { get; set; }
    public bool Active { get; set; }
    public List<string> QualifyingEventTypes { get; set; } = ["purchase"];
    /// <summary>Minimum amount of the qualifying purchase, in minor units of the program currency.</summary>
    public long? MinAmount { get; set; }
    /// <summary>The referee's first qualifying purchase must come within this many days of enrolment.</summary>
    public int? QualifyWithinDays { get; set; }
    /// <summary>Pending, qualified and rewarded referrals per referrer per calendar month (program zone); null = no cap.</summary>
    public int? MonthlyCapPerReferrer { get; set; }
    public long ReferrerPoints { get; set; }
    public long? ReferrerDropId { get; set; }
    public long RefereePoints { get; set; }
    public long? RefereeDropId { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A member's own referral code (the member row is left alone: codes are created lazily).</summary>
public sealed class ReferralCode
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public string Code { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>One referee enrolled with a referrer's code. A referee has at most one referral.</summary>
public sealed class Referral
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long ReferrerId { get; set; }
    public long RefereeId { get; set; }
    public ReferralStatus Status { get; set; }
    public string? Reason { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? QualifiedAt { get; set; }
    /// <summary>The referee's first qualifying purchase and its accrual (none when it earned no points).</summary>
    public long? QualifyingEventId { get; set; }
    public long? QualifyingAccrualId { get; set; }
    /// <summary>When the return window of the qualifying purchase closes: the earliest time both sides are rewarded.</summary>
    public DateTime? RewardDueAt { get; set; }
    public DateTime? RewardedAt { get; set; }
    public DateTime? RefusedAt { get; set; }
    public long ReferrerPoints { get; set; }
    public long RefereePoints { get; set; }
    public long? ReferrerDropMintId { get; set; }
    public long? RefereeDropMintId { get; set; }
    /// <summary>Why a configured drop was not granted at reward time (sold out, closed...); the points still were.</summary>
    public string? DropRefusal { get; set; }
}

internal sealed class ReferralConfiguration : IEntityTypeConfiguration<ReferralPolicy>, IEntityTypeConfiguration<ReferralCode>,
    IEntityTypeConfiguration<Referral>
{
    public void Configure(EntityTypeBuilder<ReferralPolicy> b)
    {
        b.ToTable("ReferralPolicies");
        b.HasKey(x => x.ProgramId);
        b.Property(x => x.QualifyingEventTypes).HasConversion(
                v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
                v => System.Text.Json.JsonSerializer.Deserialize<List<string>>(v, (System.Text.Json.JsonSerializerOptions?)null) ?? new())
            .Metadata.SetValueComparer(new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<List<string>>(
                (a, c) => a!.SequenceEqual(c!), v => v.Count, v => v.ToList()));
    }

    public void Configure(EntityTypeBuilder<ReferralCode> b)
    {
        b.ToTable("ReferralCodes");
        b.HasKey(x => x.MemberId);
        b.Property(x => x.Code).HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.Code }).IsUnique();
    }

    public void Configure(EntityTypeBuilder<Referral> b)
    {
        b.ToTable("Referrals");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Reason).HasMaxLength(32);
        b.Property(x => x.DropRefusal).HasMaxLength(200);
        b.HasIndex(x => x.RefereeId).IsUnique();
        // A referrer's list and monthly cap.
        b.HasIndex(x => new { x.ProgramId, x.ReferrerId, x.CreatedAt });
        // The maturation hook: qualified referrals whose window has closed.
        b.HasIndex(x => new { x.Status, x.RewardDueAt });
    }
}
