using System.Numerics;
using static Loyalty.Chain.Earning.EarningText;

namespace Loyalty.Chain.Earning;

/// <summary>
/// Decides which earning rules fire for an event and how many points they award. Pure and deterministic:
/// no clock, no I/O; the same event, rules (in any order), usage and zone always give the same result.
/// </summary>
public static class RuleEvaluator
{
    /// <summary>Evaluates <paramref name="rules"/> for <paramref name="e"/>.</summary>
    /// <remarks>
    /// <para><b>Which rules.</b> Rules whose <see cref="EarningRule.Trigger"/> equals the event type (ignoring case)
    /// are considered and all of them appear in <see cref="RuleEvaluation.Outcomes"/>; other rules are left out.
    /// A rule fires only if it is active, valid, inside its window (StartsAt &lt;= OccurredAt &lt; EndsAt: the
    /// event's time, never the wall clock) and all its conditions hold. Weekday and hour conditions, and the
    /// day and month of limits, use the event's local time in <paramref name="zone"/>.</para>
    /// <para><b>Order.</b> By <see cref="EarningRule.Priority"/> (lower first), then <see cref="EarningRule.Id"/>.
    /// Rule ids must be unique, so the order never depends on the input order.</para>
    /// <para><b>Phase 1, base rules</b> (Fixed, PerCurrencyUnit) run in order. Each computes its points, then
    /// its limits clip them. An Exclusive base rule that awards points blocks every later base rule; rules that
    /// ran before it keep their points. An Exclusive rule that a limit held to 0 did not fire and blocks nothing.</para>
    /// <para><b>Phase 2, multipliers</b> run in order on the base total B of phase 1 (after limits). A multiplier
    /// n/d adds B*(n-d)/d, rounded by its own rounding mode, then clipped by its own limits. Multipliers add up
    /// on the base and never compound: 2x and 1.5x together give B + B + B/2 = 2.5x. An Exclusive multiplier
    /// that adds points blocks later multipliers (never base rules). Multiplier conditions only decide whether
    /// it applies: a multiplier with a category condition multiplies the whole base total when any line matches.</para>
    /// <para><b>Amounts.</b> The event amount is <see cref="EarningEvent.Amount"/>, or the sum of its lines when
    /// that is null. With <see cref="RuleConditions.Categories"/>, the qualifying amount (for MinAmount and for
    /// PerCurrencyUnit) is the sum of the matching lines only. A negative qualifying amount earns nothing.</para>
    /// <para><b>Limits</b> clip an award to the least that remains of the daily, monthly and budget limits (ties
    /// named in that order); when nothing remains the rule does not fire.</para>
    /// <para>All arithmetic is exact (BigInteger); an award or total beyond <see cref="long.MaxValue"/> throws
    /// <see cref="OverflowException"/> rather than wrap.</para>
    /// </remarks>
    /// <param name="e">The event; its OccurredAt is UTC (Kind Local is rejected).</param>
    /// <param name="rules">Candidate rules, typically all rules of the program.</param>
    /// <param name="usage">What each rule already awarded, for the event's local day and month.</param>
    /// <param name="zone">The program's time zone.</param>
    /// <exception cref="ArgumentException">Two candidate rules share an id, or OccurredAt is a local time.</exception>
    public static RuleEvaluation Evaluate(EarningEvent e, IEnumerable<EarningRule> rules, RuleUsage usage, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(zone);

        var facts = EventFacts.From(e, zone);
        var candidates = rules.Where(r => r is not null && string.Equals(r.Trigger, facts.Type, StringComparison.OrdinalIgnoreCase)).ToList();
        if (candidates.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            throw new ArgumentException($"Rule id {duplicate.Key} appears more than once; evaluation order needs unique ids.", nameof(rules));
        var ordered = candidates.OrderBy(r => r.Priority).ThenBy(r => r.Id).ToList();

        var outcomes = new List<RuleOutcome>(ordered.Count);
        BigInteger basePoints = 0;
        long? blocker = null;
        foreach (var rule in ordered.Where(r => !IsMultiplier(r)))
        {
            var outcome = EvaluateRule(rule, facts, usage[rule.Id], blocker, basePoints: 0);
            outcomes.Add(outcome);
            if (!outcome.Fired) continue;
            basePoints += outcome.Points;
            if (rule.Stacking == RuleStacking.Exclusive) blocker ??= rule.Id;
        }

        BigInteger extraPoints = 0;
        blocker = null;
        foreach (var rule in ordered.Where(IsMultiplier))
        {
            var outcome = EvaluateRule(rule, facts, usage[rule.Id], blocker, basePoints);
            outcomes.Add(outcome);
            if (!outcome.Fired) continue;
            extraPoints += outcome.Points;
            if (rule.Stacking == RuleStacking.Exclusive) blocker ??= rule.Id;
        }

        return new RuleEvaluation(ToLong(basePoints, "The base total"), ToLong(basePoints + extraPoints, "The total"), outcomes);
    }

    private static bool IsMultiplier(EarningRule rule) => rule.Effect?.Kind == RuleEffectKind.Multiplier;

    private static RuleOutcome EvaluateRule(EarningRule rule, EventFacts facts, RuleUsageEntry usage, long? blocker, BigInteger basePoints)
    {
        if (!rule.Active) return NotFired(rule, RuleOutcomeCode.Inactive, "rule inactive");
        if (rule.Validate() is { Count: > 0 } errors)
            return NotFired(rule, RuleOutcomeCode.InvalidRule, "invalid rule: " + string.Join(" ", errors));
        if (rule.StartsAt > facts.OccurredAt || rule.EndsAt <= facts.OccurredAt)
        {
            var start = rule.StartsAt is { } s ? Time(s) : "open";
            var end = rule.EndsAt is { } x ? Time(x) : "open";
            return NotFired(rule, RuleOutcomeCode.OutsideWindow, $"outside campaign window [{start}, {end})");
        }
        if (CheckConditions(rule.Conditions, facts, out var amount) is { } failed)
            return NotFired(rule, RuleOutcomeCode.ConditionNotMet, failed);
        if (blocker is { } id) return NotFired(rule, RuleOutcomeCode.Blocked, $"blocked by exclusive rule #{id}");

        var effect = rule.Effect;
        BigInteger points;
        string calculation;
        switch (effect.Kind)
        {
            case RuleEffectKind.Fixed:
                points = effect.Points;
                calculation = "fixed " + Points(points);
                break;
            case RuleEffectKind.PerCurrencyUnit:
                if (amount is not { } qualifying) return NotFired(rule, RuleOutcomeCode.NoPoints, "event has no amount");
                if (qualifying.Sign < 0) qualifying = 0;
                points = Divide(qualifying * effect.Points, effect.PerMinorUnits, effect.Rounding);
                var scope = rule.Conditions.Categories is { Length: > 0 } categories ? " in " + List(categories) : "";
                calculation = $"{Points(effect.Points)} per {Money(effect.PerMinorUnits, facts.Currency)} on " +
                    $"{Money(qualifying, facts.Currency)}{scope} = {Number(points)} ({Name(effect.Rounding)})";
                break;
            default:
                if (basePoints.IsZero) return NotFired(rule, RuleOutcomeCode.NoPoints, "no base points to multiply");
                var (n, d) = (effect.MultiplierNumerator, effect.MultiplierDenominator);
                points = Divide(basePoints * (new BigInteger(n) - d), d, effect.Rounding);
                var factor = d == 1 ? $"{n}x" : $"{n}/{d}x";
                calculation = $"{factor} on {Number(basePoints)} base points = +{Number(points)} ({Name(effect.Rounding)})";
                break;
        }
        if (points.IsZero) return NotFired(rule, RuleOutcomeCode.NoPoints, calculation);

        if (Limit.Tightest(rule.Limits, usage) is { } limit && limit.Remaining < points)
        {
            if (limit.Remaining.IsZero)
                return NotFired(rule, RuleOutcomeCode.LimitReached, $"{limit.Describe(reached: true)}; {calculation}");
            return new RuleOutcome(rule.Id, rule.Name, true, ToLong(limit.Remaining, $"Rule #{rule.Id}"),
                $"{calculation}; clipped to {Number(limit.Remaining)} by {limit.Describe(reached: false)}")
            { Code = RuleOutcomeCode.Clipped };
        }
        return new RuleOutcome(rule.Id, rule.Name, true, ToLong(points, $"Rule #{rule.Id}"), calculation) { Code = RuleOutcomeCode.Fired };
    }

    /// <summary>Whether the conditions hold for the event (challenge steps reuse them); <paramref name="why"/> says why not.</summary>
    public static bool ConditionsHold(RuleConditions c, EarningEvent e, TimeZoneInfo zone, out string? why)
    {
        why = CheckConditions(c, EventFacts.From(e, zone), out _);
        return why is null;
    }

    /// <summary>Returns why the conditions fail, or null; <paramref name="amount"/> is the qualifying amount.</summary>
    private static string? CheckConditions(RuleConditions c, EventFacts f, out BigInteger? amount)
    {
        amount = f.Amount;
        if (c.Currency is { } currency)
        {
            if (f.Currency is null) return $"event has no currency (requires {currency.ToUpperInvariant()})";
            if (!string.Equals(f.Currency, currency.Trim(), StringComparison.OrdinalIgnoreCase))
                return $"currency {f.Currency} is not {currency.ToUpperInvariant()}";
        }
        if (c.Categories is { Length: > 0 } categories)
        {
            var matching = f.Lines.Where(l => l.Category is { } cat && categories.Contains(cat.Trim(), StringComparer.OrdinalIgnoreCase)).ToList();
            if (matching.Count == 0) return "no line in categories " + List(categories);
            amount = matching.Aggregate(BigInteger.Zero, (sum, l) => sum + l.Amount);
        }
        if (c.MinAmount is { } min)
        {
            var scope = c.Categories is { Length: > 0 } ? " in " + List(c.Categories) : "";
            if (amount is not { } value) return $"event has no amount (minimum {Money(min, f.Currency)})";
            if (value < min) return $"amount {Money(value, f.Currency)}{scope} below minimum {Money(min, f.Currency)}";
        }
        if (c.Tiers is { Length: > 0 } tiers)
        {
            if (string.IsNullOrWhiteSpace(f.Tier)) return $"member has no tier (requires {List(tiers)})";
            if (!tiers.Contains(f.Tier.Trim(), StringComparer.OrdinalIgnoreCase)) return $"tier {f.Tier} not in {List(tiers)}";
        }
        if (c.Attributes is { Count: > 0 } attributes)
        {
            // Sorted so the reported failure does not depend on dictionary order.
            foreach (var (key, expected) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                if (!f.Attributes.TryGetValue(key, out var actual)) return $"attribute {key} missing (requires '{expected}')";
                if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                    return $"attribute {key} is '{actual}', requires '{expected}'";
            }
        }
        // Segments and offers (issue 13): memberships are facts of the event, computed by the intake batch.
        if (c.Segments is { Length: > 0 } segments && !segments.Any(s => f.Segments?.Contains(s) == true))
            return $"member not in segment {List(segments.Select(s => "#" + s))}";
        if (c.OfferId is { } offer && f.Offers?.Contains(offer) != true) return $"member not on the list of offer #{offer}";
        if (c.Weekdays is { Length: > 0 } weekdays && !weekdays.Contains(f.Local.DayOfWeek))
            return $"local day {f.Local.DayOfWeek} not in {List(weekdays.Select(d => d.ToString()))}";
        if (c.FromHour is not null || c.ToHour is not null)
        {
            int from = c.FromHour ?? 0, to = c.ToHour ?? 24, hour = f.Local.Hour;
            var inside = from < to ? hour >= from && hour < to : hour >= from || hour < to;
            if (!inside) return $"local time {f.Local:HH\\:mm} outside hours {from:00}:00-{to:00}:00";
        }
        return null;
    }

    /// <summary>numerator / denominator rounded as asked; the denominator is positive.</summary>
    internal static BigInteger Divide(BigInteger numerator, BigInteger denominator, RoundingMode rounding)
    {
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        if (remainder.IsZero) return quotient;
        return rounding switch
        {
            RoundingMode.Floor => remainder.Sign < 0 ? quotient - 1 : quotient,
            RoundingMode.Ceiling => remainder.Sign > 0 ? quotient + 1 : quotient,
            RoundingMode.HalfUp => BigInteger.Abs(remainder) * 2 >= denominator ? quotient + numerator.Sign : quotient,
            _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, null),
        };
    }

    private static long ToLong(BigInteger value, string what) => value <= long.MaxValue
        ? (long)value
        : throw new OverflowException($"{what} would be {value} points, beyond what a 64-bit ledger holds.");

    private static RuleOutcome NotFired(EarningRule rule, RuleOutcomeCode code, string why) =>
        new(rule.Id, rule.Name, false, 0, "not fired: " + why) { Code = code };

    private sealed record EventFacts(string Type, DateTime OccurredAt, DateTime Local, BigInteger? Amount, string? Currency,
        IReadOnlyList<EventLine> Lines, string? Tier, IReadOnlyDictionary<string, string> Attributes)
    {
        public IReadOnlySet<long>? Segments { get; init; }
        public IReadOnlySet<long>? Offers { get; init; }

        public static EventFacts From(EarningEvent e, TimeZoneInfo zone)
        {
            var occurredAt = LocalPeriods.AsUtc(e.OccurredAt);
            var lines = e.Lines ?? [];
            BigInteger? amount = e.Amount is { } a ? a
                : lines.Count > 0 ? lines.Aggregate(BigInteger.Zero, (sum, l) => sum + l.Amount) : null;
            return new EventFacts((e.Type ?? "").Trim(), occurredAt, TimeZoneInfo.ConvertTimeFromUtc(occurredAt, zone), amount,
                string.IsNullOrWhiteSpace(e.Currency) ? null : e.Currency.Trim().ToUpperInvariant(), lines, e.MemberTier,
                e.MemberAttributes ?? new Dictionary<string, string>()) { Segments = e.MemberSegments, Offers = e.MemberOffers };
        }
    }

    /// <summary>The limit with the least left; ties go to daily, then monthly, then budget.</summary>
    private sealed record Limit(string Name, long Value, long Used, string Already, BigInteger Remaining)
    {
        public static Limit? Tightest(RuleLimits limits, RuleUsageEntry usage)
        {
            Limit? tightest = null;
            Consider(limits.PerMemberPerDay, usage.PointsToMemberToday, "daily limit", "already awarded today");
            Consider(limits.PerMemberPerMonth, usage.PointsToMemberThisMonth, "monthly limit", "already awarded this month");
            Consider(limits.Budget, usage.PointsTotal, "campaign budget", "already awarded");
            return tightest;

            void Consider(long? value, long used, string name, string already)
            {
                if (value is not { } v) return;
                var remaining = BigInteger.Max(0, new BigInteger(v) - used);
                if (tightest is null || remaining < tightest.Remaining) tightest = new Limit(name, v, used, already, remaining);
            }
        }

        public string Describe(bool reached) =>
            $"{Name} {Number(Value)} {(reached ? (Name == "campaign budget" ? "exhausted " : "reached ") : "")}({Number(Used)} {Already})";
    }
}
