namespace Loyalty.Chain.Earning;

/// <summary>What one rule has already awarded, as its limits count it.</summary>
/// <param name="PointsToMemberToday">To this member on the event's local calendar day.</param>
/// <param name="PointsToMemberThisMonth">To this member in the event's local calendar month.</param>
/// <param name="PointsTotal">To all members ever (the campaign budget's consumption).</param>
public readonly record struct RuleUsageEntry(long PointsToMemberToday, long PointsToMemberThisMonth, long PointsTotal);

/// <summary>
/// A snapshot of rule usage for one member at one instant, loaded before evaluating (see
/// <see cref="RuleUsageQuery"/>). Rules it does not mention have awarded nothing.
/// </summary>
public sealed class RuleUsage
{
    private readonly IReadOnlyDictionary<long, RuleUsageEntry> entries;

    public RuleUsage(IReadOnlyDictionary<long, RuleUsageEntry> entries) => this.entries = entries;

    public static RuleUsage None { get; } = new(new Dictionary<long, RuleUsageEntry>());

    public RuleUsageEntry this[long ruleId] => entries.TryGetValue(ruleId, out var entry) ? entry : default;

    public IReadOnlyDictionary<long, RuleUsageEntry> Entries => entries;
}
