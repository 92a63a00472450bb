namespace Loyalty.Chain.Earning;

/// <summary>
/// When an <see cref="EarningRule"/> applies. Every condition is optional and all that are set must hold;
/// an empty list counts as not set. String comparisons ignore case.
/// </summary>
public sealed record RuleConditions
{
    /// <summary>
    /// Minimum qualifying amount in minor units: the sum of the matching lines when <see cref="Categories"/>
    /// is set ("spend 50.00 on shoes"), otherwise the event amount.
    /// </summary>
    public long? MinAmount { get; init; }

    /// <summary>
    /// The event qualifies when any line has one of these categories. Per-currency effects then earn on
    /// the matching lines only.
    /// </summary>
    public string[]? Categories { get; init; }

    /// <summary>The member's tier must be one of these.</summary>
    public string[]? Tiers { get; init; }

    /// <summary>
    /// Each member attribute must equal the value (value compared ignoring case; the key is looked up with
    /// the comparer of the event's attribute dictionary).
    /// </summary>
    public Dictionary<string, string>? Attributes { get; init; }

    /// <summary>Local weekday of the event, in the program's time zone.</summary>
    public DayOfWeek[]? Weekdays { get; init; }

    /// <summary>
    /// Local hour window [FromHour, ToHour) in the program's time zone. It wraps past midnight when
    /// FromHour &gt; ToHour (22..2 is 22:00-01:59). A missing bound is the start or end of the day.
    /// </summary>
    public int? FromHour { get; init; }

    /// <inheritdoc cref="FromHour"/>
    public int? ToHour { get; init; }

    /// <summary>ISO 4217 code the event must be in.</summary>
    public string? Currency { get; init; }

    /// <summary>The member must be in ANY of these segments (ids), as of the start of the event's intake batch.</summary>
    public long[]? Segments { get; init; }

    /// <summary>Set on the rule of a member-list offer: the member must be on that offer's list.</summary>
    public long? OfferId { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinAmount < 0) errors.Add("MinAmount must be >= 0.");
        if (Categories?.Any(string.IsNullOrWhiteSpace) == true) errors.Add("Categories must not contain blanks.");
        if (Tiers?.Any(string.IsNullOrWhiteSpace) == true) errors.Add("Tiers must not contain blanks.");
        if (Attributes?.Keys.Any(string.IsNullOrWhiteSpace) == true) errors.Add("Attribute names must not be blank.");
        if (Attributes?.Values.Any(v => v is null) == true) errors.Add("Attribute values must not be null.");
        if (Weekdays?.Any(d => !Enum.IsDefined(d)) == true) errors.Add("Weekdays must be days of the week.");
        if (FromHour is < 0 or > 23) errors.Add("FromHour must be 0..23.");
        if (ToHour is < 1 or > 24) errors.Add("ToHour must be 1..24.");
        if (FromHour is { } from && ToHour is { } to && from == to)
            errors.Add("FromHour and ToHour must differ (an empty or whole-day window is ambiguous).");
        if (Currency is not null && string.IsNullOrWhiteSpace(Currency)) errors.Add("Currency must not be blank.");
        if (Segments?.Any(id => id <= 0) == true || Segments?.Length > 20) errors.Add("Segments must be 1-20 segment ids.");
        return errors;
    }
}
