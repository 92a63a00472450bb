namespace Loyalty.Chain.Earning;

/// <summary>
/// Caps on what one <see cref="EarningRule"/> awards. An award that would pass a cap is clipped to what remains;
/// when nothing remains the rule does not fire. Days and months are calendar ones in the program's time zone.
/// </summary>
public sealed record RuleLimits
{
    /// <summary>Points this rule may award one member per local calendar day.</summary>
    public long? PerMemberPerDay { get; init; }

    /// <summary>Points this rule may award one member per local calendar month.</summary>
    public long? PerMemberPerMonth { get; init; }

    /// <summary>Points this rule may ever award, all members together: the campaign budget.</summary>
    public long? Budget { get; init; }

    public bool IsEmpty => PerMemberPerDay is null && PerMemberPerMonth is null && Budget is null;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PerMemberPerDay < 0) errors.Add("PerMemberPerDay must be >= 0.");
        if (PerMemberPerMonth < 0) errors.Add("PerMemberPerMonth must be >= 0.");
        if (Budget < 0) errors.Add("Budget must be >= 0.");
        return errors;
    }
}
