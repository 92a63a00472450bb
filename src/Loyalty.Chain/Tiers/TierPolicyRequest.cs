using System.Text.RegularExpressions;
using Loyalty.Chain.Validation;

namespace Loyalty.Chain.Tiers;

public sealed record TierLevelRequest(string? Name, string? Threshold, bool? InvitationOnly, int? MultiplierPercent,
    string? MembershipEventType, int? MembershipMonths);

/// <summary>PUT /tiers: the whole policy; enum values are their names only.</summary>
public sealed record TierPolicyRequest(string? Metric, List<string?>? QualifyingEventTypes, string? Window, int? WindowMonths,
    string? Downgrade, int? GraceDays, List<TierLevelRequest?>? Levels);

public sealed record TierLevelView(string Name, string? Threshold, bool InvitationOnly, int MultiplierPercent, string? MembershipEventType,
    int? MembershipMonths);

public sealed record TierPolicyView(string Metric, IReadOnlyList<string> QualifyingEventTypes, string Window, int? WindowMonths,
    string Downgrade, int GraceDays, IReadOnlyList<TierLevelView> Levels, DateTime UpdatedAt)
{
    public static TierPolicyView From(TierPolicy p) => new(p.Metric, p.QualifyingEventTypes, p.Window, p.WindowMonths, p.Downgrade, p.GraceDays,
        p.Levels.Select(l => new TierLevelView(l.Name, l.InvitationOnly ? null : l.Threshold.ToString(), l.InvitationOnly, l.MultiplierPercent,
            l.MembershipEventType, l.MembershipMonths)).ToList(), p.UpdatedAt);
}

/// <summary>Turns a request into a policy or refuses it with a stable code; nothing is written before this passes.</summary>
public static partial class TierPolicyValidator
{
    public const int MaxLevels = 20;

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,63}\z")]
    private static partial Regex EventType();

    [GeneratedRegex(@"\A[\p{L}\p{N}][\p{L}\p{N} _.+-]{0,63}\z")]
    private static partial Regex LevelName();

    private static LoyaltyException Policy(string m) => new("INVALID_TIER_POLICY", m);
    private static LoyaltyException Level(string m) => new("INVALID_TIER_LEVEL", m);

    public static TierPolicy Validate(long programId, TierPolicyRequest? r)
    {
        if (r is null) throw Policy("a tier policy is required");
        if (r.Metric is null || !TierNames.Metrics.Contains(r.Metric)) throw Policy($"metric must be one of {string.Join(", ", TierNames.Metrics)}");
        if (r.Window is null || !TierNames.Windows.Contains(r.Window)) throw Policy($"window must be one of {string.Join(", ", TierNames.Windows)}");
        var downgrade = r.Downgrade ?? TierNames.AtPeriodEnd;
        if (!TierNames.Downgrades.Contains(downgrade)) throw Policy($"downgrade must be one of {string.Join(", ", TierNames.Downgrades)}");
        if (r.Window == TierNames.RollingMonths ? r.WindowMonths is not (>= 1 and <= 120) : r.WindowMonths is not null)
            throw Policy("windowMonths is 1-120 for rolling_months and absent otherwise");
        if (r.GraceDays is < 0 or > 365) throw Policy("graceDays must be 0-365");
        var types = new List<string>();
        if (r.QualifyingEventTypes is { Count: > 0 } qualifying)
        {
            if (r.Metric != TierNames.EventCount) throw Policy("qualifyingEventTypes applies to the event_count metric only");
            if (qualifying.Count > 50) throw Policy("at most 50 qualifying event types");
            foreach (var t in qualifying)
            {
                if (t is null || !EventType().IsMatch(t)) throw Policy("qualifying event types are 1-64 characters: lower-case letters, digits, '-' or '_'");
                if (!types.Contains(t)) types.Add(t);
            }
        }
        if (r.Levels is not { Count: > 0 } levels || levels.Count > MaxLevels) throw Policy($"levels must list 1-{MaxLevels} levels, lowest first");

        var result = new List<TierLevel>();
        long? previous = null;
        foreach (var l in levels)
        {
            if (l is null) throw Level("levels must be objects, not null");
            if (l.Name is null || !LevelName().IsMatch(l.Name)) throw Level("a level name is 1-64 letters, digits, spaces or _.+-, starting with a letter or digit");
            if (result.Any(x => string.Equals(x.Name, l.Name, StringComparison.OrdinalIgnoreCase))) throw Level($"level name '{l.Name}' is used twice");
            var invitation = l.InvitationOnly ?? false;
            long threshold = 0;
            if (!invitation)
            {
                if (!Amounts.TryParsePoints(l.Threshold, out threshold))
                    throw new LoyaltyException("INVALID_TIER_THRESHOLD", $"level '{l.Name}': threshold must be a whole number as a plain decimal string");
                if (threshold <= previous)
                    throw new LoyaltyException("INVALID_TIER_THRESHOLD", $"level '{l.Name}': thresholds must increase from level to level");
                previous = threshold;
            }
            else if (l.Threshold is not null) throw new LoyaltyException("INVALID_TIER_THRESHOLD", $"level '{l.Name}' is invitation-only and takes no threshold");
            var multiplier = l.MultiplierPercent ?? 100;
            if (multiplier is < 1 or > 1000) throw Level($"level '{l.Name}': multiplierPercent must be 1-1000 (100 = x1)");
            if ((l.MembershipEventType is null) != (l.MembershipMonths is null))
                throw Level($"level '{l.Name}': membershipEventType and membershipMonths go together");
            if (l.MembershipEventType is { } type && (!EventType().IsMatch(type) || type == "return" || type == "purchase"))
                throw Level($"level '{l.Name}': membershipEventType must be an action type (not purchase or return)");
            if (l.MembershipMonths is < 1 or > 120) throw Level($"level '{l.Name}': membershipMonths must be 1-120");
            if (l.MembershipEventType is { } t2 && result.Any(x => x.MembershipEventType == t2))
                throw Level($"membershipEventType '{t2}' grants one level only");
            result.Add(new TierLevel
            {
                Name = l.Name, Threshold = threshold, InvitationOnly = invitation, MultiplierPercent = multiplier,
                MembershipEventType = l.MembershipEventType, MembershipMonths = l.MembershipMonths,
            });
        }
        return new TierPolicy
        {
            ProgramId = programId, Metric = r.Metric, QualifyingEventTypes = types, Window = r.Window, WindowMonths = r.WindowMonths,
            Downgrade = downgrade, GraceDays = r.GraceDays ?? 0, Levels = result,
        };
    }
}
