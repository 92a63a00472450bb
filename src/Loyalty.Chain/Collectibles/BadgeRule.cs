using Loyalty.Chain.Earning;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Collectibles;

public enum BadgeKind
{
    /// <summary>The member's first event of the trigger type ("first review").</summary>
    FirstEvent,
    /// <summary>The member's <see cref="BadgeRule.Count"/>-th event of the trigger type ("10th purchase").</summary>
    NthEvent,
    /// <summary>An event while the member's tier is <see cref="BadgeRule.Tier"/> ("reached Gold").</summary>
    TierReached,
    /// <summary>Lifetime points earned reached <see cref="BadgeRule.Points"/>.</summary>
    PointsReached,
}

/// <summary>
/// Awards a soulbound drop automatically when an accepted event meets it. The optional
/// <see cref="Conditions"/> are the earning engine's (minimum amount, tiers, attributes, weekdays, hours,
/// currency) and are checked by <see cref="RuleEvaluator"/> on the accepted event. Counts use "at least",
/// so a rule added later still awards members who are already past the mark, once.
/// </summary>
public sealed class BadgeRule
{
    private string? trigger;

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long DropId { get; set; }
    public string Name { get; set; } = "";

    /// <summary>Event type ("purchase", "review"); null reacts to every type.</summary>
    public string? Trigger
    {
        get => trigger;
        set => trigger = string.IsNullOrWhiteSpace(value) ? null : value.Trim().ToLowerInvariant();
    }

    public BadgeKind Kind { get; set; }
    public int? Count { get; set; }
    public string? Tier { get; set; }
    public long? Points { get; set; }
    public RuleConditions Conditions { get; set; } = new();
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200) errors.Add("name is required (at most 200 characters).");
        if (!Enum.IsDefined(Kind)) errors.Add("kind is unknown.");
        if (Kind is BadgeKind.FirstEvent or BadgeKind.NthEvent && Trigger is null) errors.Add($"{Kind} needs a trigger (event type).");
        if (Kind == BadgeKind.NthEvent && Count is not (>= 1 and <= 1_000_000)) errors.Add("NthEvent needs a count of 1..1000000.");
        if (Kind == BadgeKind.TierReached && string.IsNullOrWhiteSpace(Tier)) errors.Add("TierReached needs a tier.");
        if (Kind == BadgeKind.PointsReached && Points is not > 0) errors.Add("PointsReached needs points > 0.");
        // Lines are not kept with accepted events, so category conditions could never be checked afterwards.
        if (Conditions.Categories is { Length: > 0 }) errors.Add("badge conditions cannot use categories.");
        errors.AddRange(Conditions.Validate());
        return errors;
    }
}

internal sealed class BadgeRuleConfiguration : IEntityTypeConfiguration<BadgeRule>
{
    public void Configure(EntityTypeBuilder<BadgeRule> b)
    {
        b.ToTable("BadgeRules");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Trigger).HasMaxLength(64);
        b.Property(x => x.Tier).HasMaxLength(64);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        CollectibleJson.Column(b.Property(x => x.Conditions));
        b.HasIndex(x => new { x.ProgramId, x.Active });
        b.HasOne<Drop>().WithMany().HasForeignKey(x => x.DropId).OnDelete(DeleteBehavior.Restrict);
    }
}
