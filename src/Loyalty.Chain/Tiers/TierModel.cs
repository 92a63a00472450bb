using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Tiers;

/// <summary>Named values of a tier policy (JSON strings, never numbers).</summary>
public static class TierNames
{
    public const string PointsEarned = "points_earned", MoneySpent = "money_spent", EventCount = "event_count";
    public const string Lifetime = "lifetime", CalendarYear = "calendar_year", RollingMonths = "rolling_months";
    public const string AtPeriodEnd = "at_period_end", OneDown = "one_down", Never = "never";
    public static readonly string[] Metrics = [PointsEarned, MoneySpent, EventCount];
    public static readonly string[] Windows = [Lifetime, CalendarYear, RollingMonths];
    public static readonly string[] Downgrades = [AtPeriodEnd, OneDown, Never];
}

/// <summary>One level of a program's tier ladder; the order of <see cref="TierPolicy.Levels"/> is the rank (lowest first).</summary>
public sealed class TierLevel
{
    public string Name { get; set; } = "";
    /// <summary>Points (smallest unit), money (minor units) or a count, per the policy's metric. Ignored for invitation-only levels.</summary>
    public long Threshold { get; set; }
    public bool InvitationOnly { get; set; }
    /// <summary>Earning multiplier of members whose effective tier this is: 100 = x1.</summary>
    public int MultiplierPercent { get; set; } = 100;
    public string? MembershipEventType { get; set; }
    public int? MembershipMonths { get; set; }
}

/// <summary>A program's tier policy: one row per program (absent: the enrolment tier string stays as it is).</summary>
public sealed class TierPolicy
{
    public long ProgramId { get; set; }
    public string Metric { get; set; } = TierNames.PointsEarned;
    /// <summary>For event_count: the types that count; empty = every type except return.</summary>
    public List<string> QualifyingEventTypes { get; set; } = [];
    public string Window { get; set; } = TierNames.Lifetime;
    public int? WindowMonths { get; set; }
    public string Downgrade { get; set; } = TierNames.AtPeriodEnd;
    public int GraceDays { get; set; }
    public List<TierLevel> Levels { get; set; } = [];
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// A member's metric for one calendar month in the program's zone (yyyymm): every window (lifetime, calendar
/// year, rolling N months) is a sum of these, so qualification never scans events.
/// </summary>
public sealed class TierBucket
{
    public long MemberId { get; set; }
    public int Month { get; set; }
    public long ProgramId { get; set; }
    public long Points { get; set; }
    public long Spent { get; set; }
    public long Events { get; set; }
}

/// <summary>
/// Where a member's effective tier (<c>Member.Tier</c>) comes from: the earned level and its period, an invitation,
/// a paid membership. Kept apart from <c>Member</c> so the member row stays the members' area.
/// </summary>
public sealed class MemberTierState
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public string? Earned { get; set; }
    /// <summary>The earned level was taken over from the enrolment tier string, not computed.</summary>
    public bool Legacy { get; set; }
    public DateTime? EarnedSince { get; set; }
    /// <summary>When the earned level is re-evaluated (null: lifetime window, downgrade never, or no level).</summary>
    public DateTime? PeriodEnd { get; set; }
    /// <summary>A due downgrade waits until then and is re-checked.</summary>
    public DateTime? GraceUntil { get; set; }
    public string? Invited { get; set; }
    public DateTime? InvitedSince { get; set; }
    public string? Purchased { get; set; }
    public DateTime? PurchasedSince { get; set; }
    public DateTime? PurchasedUntil { get; set; }
    /// <summary>What <c>Member.Tier</c> was last set to by tier evaluation, and since when.</summary>
    public string? Effective { get; set; }
    public DateTime? EffectiveSince { get; set; }
}

/// <summary>One change of a member's effective tier, with why and when.</summary>
public sealed class TierChange
{
    /// <summary>The reason of the placement made at enrolment (the member's first tier, not a move between tiers).</summary>
    public const string Enrolled = "enrolled";
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
    public string Reason { get; set; } = "";
    public DateTime At { get; set; }
}

internal sealed class TierConfiguration : IEntityTypeConfiguration<TierPolicy>, IEntityTypeConfiguration<TierBucket>,
    IEntityTypeConfiguration<MemberTierState>, IEntityTypeConfiguration<TierChange>
{
    private static PropertyBuilder<T> Json<T>(PropertyBuilder<T> p) where T : class, new()
    {
        p.HasConversion(v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => JsonSerializer.Deserialize<T>(v, (JsonSerializerOptions?)null) ?? new T())
            .Metadata.SetValueComparer(new ValueComparer<T>((a, b) => JsonSerializer.Serialize(a, (JsonSerializerOptions?)null) == JsonSerializer.Serialize(b, (JsonSerializerOptions?)null),
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null).GetHashCode(),
                v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, (JsonSerializerOptions?)null), (JsonSerializerOptions?)null)!));
        return p;
    }

    public void Configure(EntityTypeBuilder<TierPolicy> b)
    {
        b.ToTable("TierPolicies");
        b.HasKey(x => x.ProgramId);
        b.Property(x => x.Metric).HasMaxLength(32);
        b.Property(x => x.Window).HasMaxLength(32);
        b.Property(x => x.Downgrade).HasMaxLength(32);
        Json(b.Property(x => x.QualifyingEventTypes));
        Json(b.Property(x => x.Levels));
    }

    public void Configure(EntityTypeBuilder<TierBucket> b)
    {
        b.ToTable("TierBuckets");
        b.HasKey(x => new { x.MemberId, x.Month });
        b.HasIndex(x => x.ProgramId);
    }

    public void Configure(EntityTypeBuilder<MemberTierState> b)
    {
        b.ToTable("MemberTierStates");
        b.HasKey(x => x.MemberId);
        b.HasIndex(x => new { x.ProgramId, x.PeriodEnd });
        b.HasIndex(x => new { x.ProgramId, x.PurchasedUntil });
        b.HasIndex(x => new { x.ProgramId, x.GraceUntil });
        foreach (var p in new[] { nameof(MemberTierState.Earned), nameof(MemberTierState.Invited), nameof(MemberTierState.Purchased), nameof(MemberTierState.Effective) })
            b.Property(p).HasMaxLength(64);
    }

    public void Configure(EntityTypeBuilder<TierChange> b)
    {
        b.ToTable("TierChanges");
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.Id });
        b.Property(x => x.From).HasMaxLength(64);
        b.Property(x => x.To).HasMaxLength(64);
        b.Property(x => x.Reason).HasMaxLength(64);
    }
}
