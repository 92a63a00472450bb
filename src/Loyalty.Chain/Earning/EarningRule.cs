using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Earning;

public enum RuleStacking
{
    /// <summary>Combines with every other rule.</summary>
    Stack,
    /// <summary>When it fires, no later rule of the same phase (base or multiplier) fires.</summary>
    Exclusive,
}

/// <summary>
/// One earning rule of a program: a trigger (event type), conditions, an effect, limits and a place in the
/// evaluation order. A campaign is a rule with a time window ("double points this weekend").
/// </summary>
public sealed class EarningRule
{
    private string trigger = "";

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Name { get; set; } = "";

    /// <summary>The event type it reacts to ("purchase", "review", ...). Stored trimmed and lower-case.</summary>
    public string Trigger
    {
        get => trigger;
        set => trigger = (value ?? "").Trim().ToLowerInvariant();
    }

    public RuleConditions Conditions { get; set; } = new();
    public RuleEffect Effect { get; set; } = new();
    public RuleLimits Limits { get; set; } = new();

    /// <summary>Lower runs first; ties are broken by <see cref="Id"/>.</summary>
    public int Priority { get; set; }

    public RuleStacking Stacking { get; set; }

    /// <summary>UTC; the rule applies to events with StartsAt &lt;= OccurredAt &lt; EndsAt. Null is unbounded.</summary>
    public DateTime? StartsAt { get; set; }

    /// <inheritdoc cref="StartsAt"/>
    public DateTime? EndsAt { get; set; }

    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }

    public bool IsCampaign => StartsAt is not null || EndsAt is not null;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) errors.Add("Name is required.");
        if (Trigger.Length == 0) errors.Add("Trigger is required.");
        if (!Enum.IsDefined(Stacking)) errors.Add($"Stacking {Stacking} is unknown.");
        if (StartsAt is { } start && EndsAt is { } end && end <= start) errors.Add("EndsAt must be after StartsAt.");
        errors.AddRange(Conditions?.Validate() ?? ["Conditions are required."]);
        errors.AddRange(Effect?.Validate() ?? ["Effect is required."]);
        errors.AddRange(Limits?.Validate() ?? ["Limits are required."]);
        return errors;
    }
}

/// <summary>The JSON shape of rule parts, shared by the database columns and anything that shows them.</summary>
public static class RuleJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) where T : new() =>
        JsonSerializer.Deserialize<T>(json, Options) ?? new T();
}

internal sealed class EarningRuleConfiguration : IEntityTypeConfiguration<EarningRule>
{
    public void Configure(EntityTypeBuilder<EarningRule> b)
    {
        b.ToTable("EarningRules");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Trigger).HasMaxLength(64);
        b.Property(x => x.Stacking).HasConversion<string>().HasMaxLength(16);
        // JSON text rather than ComplexProperty(...).ToJson(): complex types cannot hold the attribute
        // dictionary, and plain text reads the same on SQLite and PostgreSQL.
        Json(b.Property(x => x.Conditions));
        Json(b.Property(x => x.Effect));
        Json(b.Property(x => x.Limits));
        b.HasIndex(x => new { x.ProgramId, x.Trigger, x.Active });
    }

    private static void Json<T>(PropertyBuilder<T> property) where T : new()
    {
        // Records holding arrays do not compare by value, so change tracking compares the JSON text.
        property.HasConversion(v => RuleJson.Serialize(v), s => RuleJson.Deserialize<T>(s),
            new ValueComparer<T>(
                (a, c) => RuleJson.Serialize(a) == RuleJson.Serialize(c),
                v => RuleJson.Serialize(v).GetHashCode(),
                v => RuleJson.Deserialize<T>(RuleJson.Serialize(v))));
        property.IsRequired();
    }
}
