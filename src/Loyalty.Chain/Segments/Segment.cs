using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Segments;

/// <summary>A saved audience of one program: members matching every condition of its definition, computed on demand.</summary>
public sealed class Segment
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public SegmentDefinition Definition { get; set; } = new();
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A range of whole numbers; both bounds inclusive and optional.</summary>
public sealed record CountRange(long? Min, long? Max, int? WithinDays);

/// <summary>A range of money (minor units) or points, as decimal strings; both bounds inclusive and optional.</summary>
public sealed record AmountRange(string? Min, string? Max, int? WithinDays);

public sealed record CategoriesBought(string[]? Any, int? WithinDays);

/// <summary>
/// All-of a set of optional conditions. Attribute keys and values, consent names, tiers and categories compare ignoring
/// ASCII case. "Within N days" is the rolling window (now - N x 24 h, now]; birthdayMonth "current" is the month now in
/// the program's zone. Spend is purchases' amounts net of what was refunded; pointsBalance is the Available balance.
/// </summary>
public sealed record SegmentDefinition
{
    public const int MaxDays = 3660;

    public Dictionary<string, string>? Attributes { get; init; }
    /// <summary>"1".."12" or "current" (a JSON number 1-12 is accepted too).</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? BirthdayMonth { get; init; }
    /// <summary>Consents that must stand (granted).</summary>
    public string[]? Consent { get; init; }
    public string[]? Tiers { get; init; }
    public int? EnrolledWithinDays { get; init; }
    public int? LastPurchaseWithinDays { get; init; }
    /// <summary>Lapsed: no purchase in the last N days (a member who never bought counts).</summary>
    public int? NoPurchaseWithinDays { get; init; }
    public CountRange? PurchaseCount { get; init; }
    public AmountRange? Spend { get; init; }
    public AmountRange? PointsBalance { get; init; }
    public CategoriesBought? CategoriesBought { get; init; }
    /// <summary>Default true: blocked members are in no segment.</summary>
    public bool? ExcludeBlocked { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Attributes is not null)
        {
            if (Attributes.Count > 20) errors.Add("at most 20 attributes.");
            if (Attributes.Any(a => string.IsNullOrWhiteSpace(a.Key) || a.Key.Length > 64)) errors.Add("attribute names must be 1-64 characters.");
            if (Attributes.Any(a => a.Value is null || a.Value.Length > 200)) errors.Add("attribute values must be strings of at most 200 characters.");
        }
        if (BirthdayMonth is { } month && month != "current" && !(int.TryParse(month, out var m) && m is >= 1 and <= 12 && month == m.ToString()))
            errors.Add("birthdayMonth must be 1-12 or \"current\".");
        Names(Consent, "consent");
        Names(Tiers, "tiers");
        Names(CategoriesBought?.Any, "categoriesBought.any");
        if (CategoriesBought is not null && CategoriesBought.Any is not { Length: > 0 }) errors.Add("categoriesBought.any needs at least one category.");
        Days(EnrolledWithinDays, "enrolledWithinDays");
        Days(LastPurchaseWithinDays, "lastPurchaseWithinDays");
        Days(NoPurchaseWithinDays, "noPurchaseWithinDays");
        Days(PurchaseCount?.WithinDays, "purchaseCount.withinDays");
        Days(Spend?.WithinDays, "spend.withinDays");
        Days(CategoriesBought?.WithinDays, "categoriesBought.withinDays");
        if (PurchaseCount is { } pc)
        {
            if (pc.Min is < 0 || pc.Max is < 0) errors.Add("purchaseCount bounds must be >= 0.");
            if (pc.Min > pc.Max) errors.Add("purchaseCount.min must not exceed max.");
            if (pc.Min is null && pc.Max is null) errors.Add("purchaseCount needs min or max.");
        }
        Range(Spend, "spend", days: true);
        Range(PointsBalance, "pointsBalance", days: false);
        return errors;

        void Names(string[]? names, string field)
        {
            if (names is null) return;
            if (names.Length > 50) errors.Add($"{field} has at most 50 names.");
            if (names.Any(n => string.IsNullOrWhiteSpace(n) || n.Length > 64)) errors.Add($"{field} must hold names of 1-64 characters.");
        }
        void Days(int? days, string field)
        {
            if (days is < 1 or > MaxDays) errors.Add($"{field} must be 1-{MaxDays}.");
        }
        void Range(AmountRange? range, string field, bool days)
        {
            if (range is null) return;
            if (range.Min is null && range.Max is null) errors.Add($"{field} needs min or max.");
            if (!days && range.WithinDays is not null) errors.Add($"{field} has no withinDays.");
            long? min = null, max = null;
            if (range.Min is not null) { if (Amounts.TryParsePoints(range.Min, out var v)) min = v; else errors.Add($"{field}.min must be a whole number as a decimal string."); }
            if (range.Max is not null) { if (Amounts.TryParsePoints(range.Max, out var v)) max = v; else errors.Add($"{field}.max must be a whole number as a decimal string."); }
            if (min > max) errors.Add($"{field}.min must not exceed max.");
        }
    }

    /// <summary>The definition with times resolved against <paramref name="nowUtc"/> and the program zone. Call on a valid definition.</summary>
    public SegmentCriteria Resolve(DateTime nowUtc, TimeZoneInfo zone)
    {
        DateTime? Cut(int? days) => days is { } d ? nowUtc.AddDays(-d) : null;
        int? month = BirthdayMonth switch
        {
            null => null,
            "current" => TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone).Month,
            var m => int.Parse(m),
        };
        static long? P(string? s) => s is null ? null : long.Parse(s);
        static string[]? Lower(string[]? names) => names is { Length: > 0 } ? names.Select(SegmentText.Fold).Distinct().ToArray() : null;
        return new SegmentCriteria
        {
            Attributes = Attributes is { Count: > 0 } a ? a.ToDictionary(x => SegmentText.Fold(x.Key), x => SegmentText.Fold(x.Value)) : null,
            BirthdayMonth = month,
            Consent = Lower(Consent),
            Tiers = Lower(Tiers),
            EnrolledSince = Cut(EnrolledWithinDays),
            PurchasedSince = Cut(LastPurchaseWithinDays),
            NoPurchaseSince = Cut(NoPurchaseWithinDays),
            PurchaseCount = PurchaseCount is { } pc ? (pc.Min, pc.Max, Cut(pc.WithinDays)) : null,
            Spend = Spend is { } s ? (P(s.Min), P(s.Max), Cut(s.WithinDays)) : null,
            Balance = PointsBalance is { } b ? (P(b.Min), P(b.Max)) : null,
            Categories = CategoriesBought is { Any: { Length: > 0 } any } cb
                ? (any.Select(Ledger.EventCategory.Normalize).Distinct().ToArray(), Cut(cb.WithinDays)) : null,
            ExcludeBlocked = ExcludeBlocked ?? true,
        };
    }
}

/// <summary>A definition resolved for one moment: cut-off instants instead of day counts, folded names, parsed bounds.</summary>
public sealed record SegmentCriteria
{
    public Dictionary<string, string>? Attributes { get; init; }
    public int? BirthdayMonth { get; init; }
    public string[]? Consent { get; init; }
    public string[]? Tiers { get; init; }
    public DateTime? EnrolledSince { get; init; }
    public DateTime? PurchasedSince { get; init; }
    public DateTime? NoPurchaseSince { get; init; }
    public (long? Min, long? Max, DateTime? Since)? PurchaseCount { get; init; }
    public (long? Min, long? Max, DateTime? Since)? Spend { get; init; }
    public (long? Min, long? Max)? Balance { get; init; }
    public (string[] Any, DateTime? Since)? Categories { get; init; }
    public bool ExcludeBlocked { get; init; } = true;
}

/// <summary>How names and values are compared: ASCII case folded, the same in SQL (lower() on escaped JSON) and in memory.</summary>
public static class SegmentText
{
    public static string Fold(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (var i = 0; i < src.Length; i++) span[i] = src[i] is >= 'A' and <= 'Z' ? (char)(src[i] + 32) : src[i];
    });

    /// <summary>The text <c>"key":"value"</c> as the profile's JSON column holds it (default encoder), folded.</summary>
    public static string AttributePattern(string key, string value) =>
        Fold(JsonSerializer.Serialize(key) + ":" + JsonSerializer.Serialize(value));

    /// <summary>The text <c>"name":{"Granted":true</c> as the consents column holds a granted consent, folded.</summary>
    public static string ConsentPattern(string name) => Fold(JsonSerializer.Serialize(name) + ":{\"Granted\":true");
}

/// <summary>Reads a JSON number or string into a string (birthdayMonth: 5 or "5" or "current").</summary>
internal sealed class NumberOrStringConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number when reader.TryGetInt32(out var n) => n.ToString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException("expected a month number or \"current\""),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else if (int.TryParse(value, out var n)) writer.WriteNumberValue(n);
        else writer.WriteStringValue(value);
    }
}

internal sealed class SegmentConfiguration : IEntityTypeConfiguration<Segment>
{
    public void Configure(EntityTypeBuilder<Segment> b)
    {
        b.ToTable("Segments");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(1000);
        b.Property(x => x.Definition).HasConversion(v => RuleJson.Serialize(v), s => RuleJson.Deserialize<SegmentDefinition>(s),
            new ValueComparer<SegmentDefinition>((a, c) => RuleJson.Serialize(a) == RuleJson.Serialize(c),
                v => RuleJson.Serialize(v).GetHashCode(), v => RuleJson.Deserialize<SegmentDefinition>(RuleJson.Serialize(v))))
            .IsRequired();
        b.HasIndex(x => new { x.ProgramId, x.Id });
    }
}
