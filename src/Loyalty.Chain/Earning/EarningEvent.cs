namespace Loyalty.Chain.Earning;

/// <summary>
/// What happened, as the rules see it: the event plus the member facts conditions test. Amounts are
/// in minor currency units (cents).
/// </summary>
public sealed record EarningEvent
{
    private static readonly IReadOnlyDictionary<string, string> NoAttributes = new Dictionary<string, string>();

    /// <summary>Event type matched against <see cref="EarningRule.Trigger"/>, ignoring case.</summary>
    public required string Type { get; init; }

    /// <summary>The event total. When null, the sum of <see cref="Lines"/> (if any) stands in for it.</summary>
    public long? Amount { get; init; }

    public string? Currency { get; init; }

    /// <summary>UTC (an unspecified kind is read as UTC; a local one is rejected).</summary>
    public required DateTime OccurredAt { get; init; }

    public IReadOnlyList<EventLine> Lines { get; init; } = [];
    public string? MemberTier { get; init; }
    public IReadOnlyDictionary<string, string> MemberAttributes { get; init; } = NoAttributes;
    /// <summary>The segments (of those the rules name) the member is in; null = none.</summary>
    public IReadOnlySet<long>? MemberSegments { get; init; }
    /// <summary>The member-list offers (of those the rules name) the member is on; null = none.</summary>
    public IReadOnlySet<long>? MemberOffers { get; init; }
}

/// <summary>One line of a purchase. <paramref name="Amount"/> is the line total (not the unit price), in minor units.</summary>
public sealed record EventLine(string? Sku, string? Category, long Amount, int Quantity);
