namespace Loyalty.Chain.Earning;

public enum RuleEffectKind
{
    /// <summary>A fixed number of points per qualifying event.</summary>
    Fixed,
    /// <summary><see cref="RuleEffect.Points"/> per <see cref="RuleEffect.PerMinorUnits"/> of the qualifying amount.</summary>
    PerCurrencyUnit,
    /// <summary>Extra points on the points the base rules awarded (see <see cref="RuleEvaluator"/>).</summary>
    Multiplier,
}

/// <summary>How a fractional number of points becomes whole (in the token's smallest unit).</summary>
public enum RoundingMode
{
    Floor,
    Ceiling,
    /// <summary>Half away from zero: 2.5 becomes 3.</summary>
    HalfUp,
}

/// <summary>What an <see cref="EarningRule"/> awards. Integers only: amounts in minor units, points in the token's smallest unit.</summary>
public sealed record RuleEffect
{
    public RuleEffectKind Kind { get; init; }

    /// <summary>Fixed: the points. PerCurrencyUnit: points per <see cref="PerMinorUnits"/>.</summary>
    public long Points { get; init; }

    /// <summary>The currency step PerCurrencyUnit earns on, in minor units: 100 is per 1.00.</summary>
    public long PerMinorUnits { get; init; } = 100;

    /// <summary>Applies to PerCurrencyUnit and Multiplier.</summary>
    public RoundingMode Rounding { get; init; } = RoundingMode.Floor;

    /// <summary>Multiplier: numerator / denominator, e.g. 2/1 is double points, 3/2 is 1.5x.</summary>
    public long MultiplierNumerator { get; init; } = 1;

    /// <inheritdoc cref="MultiplierNumerator"/>
    public long MultiplierDenominator { get; init; } = 1;

    public static RuleEffect Fixed(long points) => new() { Kind = RuleEffectKind.Fixed, Points = points };

    public static RuleEffect PerCurrencyUnit(long points, long perMinorUnits = 100, RoundingMode rounding = RoundingMode.Floor) =>
        new() { Kind = RuleEffectKind.PerCurrencyUnit, Points = points, PerMinorUnits = perMinorUnits, Rounding = rounding };

    public static RuleEffect Multiplier(long numerator, long denominator = 1, RoundingMode rounding = RoundingMode.Floor) =>
        new() { Kind = RuleEffectKind.Multiplier, MultiplierNumerator = numerator, MultiplierDenominator = denominator, Rounding = rounding };

    /// <summary>
    /// Multipliers below 1 are rejected: a multiplier only adds points. Taking points away is a different
    /// feature (it would interact with limits and could make an award negative). A multiplier of exactly 1 is
    /// allowed and adds nothing.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Kind)) errors.Add($"Kind {Kind} is unknown.");
        if (!Enum.IsDefined(Rounding)) errors.Add($"Rounding {Rounding} is unknown.");
        switch (Kind)
        {
            case RuleEffectKind.Fixed:
                if (Points < 0) errors.Add("Points must be >= 0.");
                break;
            case RuleEffectKind.PerCurrencyUnit:
                if (Points < 0) errors.Add("Points must be >= 0.");
                if (PerMinorUnits <= 0) errors.Add("PerMinorUnits must be > 0.");
                break;
            case RuleEffectKind.Multiplier:
                if (MultiplierDenominator <= 0) errors.Add("MultiplierDenominator must be > 0.");
                else if (MultiplierNumerator < MultiplierDenominator) errors.Add("A multiplier must be at least 1 (MultiplierNumerator >= MultiplierDenominator).");
                break;
        }
        return errors;
    }
}
