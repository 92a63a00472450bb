namespace Loyalty.Chain.Tiers;

/// <summary>
/// The pure core of tiers, written like <c>Earning/RuleEvaluator</c>: windows over monthly buckets in the program's
/// zone, qualification, the upgrade at an event and the period-end downgrade. No database, no clock: "now" is an argument.
/// </summary>
public static class TierEvaluator
{
    /// <summary>The month (yyyymm) <paramref name="utc"/> falls in, in <paramref name="zone"/>.</summary>
    public static int MonthKey(DateTime utc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        return local.Year * 100 + local.Month;
    }

    public static int AddMonths(int key, int months)
    {
        var index = key / 100 * 12 + (key % 100 - 1) + months;
        return index / 12 * 100 + index % 12 + 1;
    }

    /// <summary>The months counted at <paramref name="utc"/> (inclusive); null for lifetime.</summary>
    public static (int From, int To)? Window(TierPolicy p, DateTime utc, TimeZoneInfo zone)
    {
        var month = MonthKey(utc, zone);
        return p.Window switch
        {
            TierNames.CalendarYear => (month / 100 * 100 + 1, month / 100 * 100 + 12),
            TierNames.RollingMonths => (AddMonths(month, -((p.WindowMonths ?? 12) - 1)), month),
            _ => null,
        };
    }

    public static long Value(TierPolicy p, IEnumerable<TierBucket> buckets, (int From, int To)? window)
    {
        long sum = 0;
        foreach (var b in buckets)
        {
            if (window is { } w && (b.Month < w.From || b.Month > w.To)) continue;
            sum = checked(sum + p.Metric switch { TierNames.MoneySpent => b.Spent, TierNames.EventCount => b.Events, _ => b.Points });
        }
        return Math.Max(0, sum);
    }

    /// <summary>The highest level (index) the value qualifies for by threshold; -1 for none. Invitation-only levels never qualify.</summary>
    public static int Qualified(TierPolicy p, long value)
    {
        var best = -1;
        for (var i = 0; i < p.Levels.Count; i++)
            if (!p.Levels[i].InvitationOnly && p.Levels[i].Threshold <= value) best = i;
        return best;
    }

    public static int Rank(TierPolicy p, string? name) =>
        name is null ? -1 : p.Levels.FindIndex(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>When a level reached at <paramref name="fromUtc"/> is next re-evaluated; null when it never is.</summary>
    public static DateTime? PeriodEnd(TierPolicy p, DateTime fromUtc, TimeZoneInfo zone)
    {
        if (p.Downgrade == TierNames.Never) return null;
        return p.Window switch
        {
            TierNames.CalendarYear => LocalStartToUtc(MonthKey(fromUtc, zone) / 100 + 1, 1, zone),
            TierNames.RollingMonths => fromUtc.AddMonths(p.WindowMonths ?? 12),
            _ => null,
        };
    }

    /// <summary>The last day of the window <paramref name="utc"/> is in (the "by" of progress); null for lifetime.</summary>
    public static DateOnly? WindowLastDay(TierPolicy p, DateTime utc, TimeZoneInfo zone)
    {
        var month = MonthKey(utc, zone);
        return p.Window switch
        {
            TierNames.CalendarYear => new DateOnly(month / 100, 12, 31),
            TierNames.RollingMonths => new DateOnly(month / 100, month % 100, DateTime.DaysInMonth(month / 100, month % 100)),
            _ => null,
        };
    }

    private static DateTime LocalStartToUtc(int year, int month, TimeZoneInfo zone)
    {
        var local = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        // A midnight skipped by a DST change starts the month an hour later.
        while (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    public static bool Counts(TierPolicy p, string type) =>
        p.QualifyingEventTypes.Count == 0 ? type != "return" : p.QualifyingEventTypes.Contains(type, StringComparer.Ordinal);

    /// <summary>Points after the tier multiplier (floor, checked).</summary>
    public static long ApplyMultiplier(long points, int percent) => points <= 0 || percent == 100 ? points : checked(points * percent) / 100;

    /// <summary>The multiplier of the level named <paramref name="tier"/> (100 when the member has no level of the policy).</summary>
    public static int MultiplierPercent(TierPolicy p, string? tier) => Rank(p, tier) is var r and >= 0 ? p.Levels[r].MultiplierPercent : 100;

    /// <summary>
    /// The tier multiplier on what the rules gave, as its own outcome line (rule id 0, not a rule award): intake and the
    /// rules' dry run both call this, so "try an event" shows what intake would award. Null line: nothing to multiply.
    /// </summary>
    /// <exception cref="OverflowException">The multiplied total does not fit in 64 bits.</exception>
    public static (Earning.RuleEvaluation Evaluation, Earning.RuleOutcome? Line) WithMultiplier(Earning.RuleEvaluation evaluation, string? tier, int percent)
    {
        if (percent == 100 || evaluation.TotalPoints <= 0) return (evaluation, null);
        var multiplied = ApplyMultiplier(evaluation.TotalPoints, percent);
        var line = new Earning.RuleOutcome(0, $"tier {tier}", true, multiplied - evaluation.TotalPoints,
            $"tier {tier}: {percent}% of {evaluation.TotalPoints} = {multiplied} (floor)") { Code = Earning.RuleOutcomeCode.Fired };
        return (new Earning.RuleEvaluation(evaluation.BasePoints, multiplied, [.. evaluation.Outcomes, line]), line);
    }

    /// <summary>The effective level and where it comes from: the highest ranked of earned, invited and a running membership.</summary>
    public static (string? Name, string Source) Effective(TierPolicy p, MemberTierState s, DateTime now)
    {
        (string? Name, string Source, int Rank) best = (null, "earned", -1);
        void Offer(string? name, string source)
        {
            var rank = Rank(p, name);
            if (rank > best.Rank) best = (p.Levels[rank].Name, source, rank);
        }
        Offer(s.Invited, "invited");
        if (s.PurchasedUntil > now) Offer(s.Purchased, "purchased");
        Offer(s.Earned, s.Legacy ? "legacy" : "earned");
        return (best.Name, best.Source);
    }

    /// <summary>At an event (or a policy change): raises the earned level at once when the current window qualifies higher. True if it rose.</summary>
    public static bool Upgrade(TierPolicy p, MemberTierState s, IReadOnlyCollection<TierBucket> buckets, DateTime now, TimeZoneInfo zone)
    {
        var qualified = Qualified(p, Value(p, buckets, Window(p, now, zone)));
        var rank = Rank(p, s.Earned);
        if (qualified > rank)
        {
            s.Earned = p.Levels[qualified].Name;
            s.Legacy = false;
            s.EarnedSince = now;
            s.PeriodEnd = PeriodEnd(p, now, zone);
            s.GraceUntil = null;
            return true;
        }
        if (qualified >= 0 && qualified == rank && s.GraceUntil is not null)
        {
            // Requalified during the grace period: the level is kept for a new period.
            s.GraceUntil = null;
            s.PeriodEnd = PeriodEnd(p, now, zone);
        }
        return false;
    }

    /// <summary>
    /// What is due at <paramref name="now"/>: an ended membership, an earned level's period end (re-evaluated on the
    /// window that just ended; at_period_end may drop several levels, one_down one, never none), a grace end
    /// (re-checked on the better of the ended window and the current one). Returns the reason when the earned level dropped.
    /// </summary>
    public static string? Due(TierPolicy p, MemberTierState s, IReadOnlyCollection<TierBucket> buckets, DateTime now, TimeZoneInfo zone)
    {
        if (s.Purchased is not null && s.PurchasedUntil <= now) (s.Purchased, s.PurchasedSince, s.PurchasedUntil) = (null, null, null);
        if (s.Earned is null || s.PeriodEnd is not { } end || end > now) return null;
        if (p.Downgrade == TierNames.Never)
        {
            (s.PeriodEnd, s.GraceUntil) = (null, null);
            return null;
        }
        var rank = Rank(p, s.Earned);
        var value = Value(p, buckets, Window(p, end.AddTicks(-1), zone));
        if (s.GraceUntil is { } grace)
        {
            if (grace > now) return null;
            value = Math.Max(value, Value(p, buckets, Window(p, now, zone)));
        }
        var qualified = Qualified(p, value);
        if (qualified >= rank)
        {
            if (qualified > rank) (s.Earned, s.Legacy, s.EarnedSince) = (p.Levels[qualified].Name, false, now);
            (s.PeriodEnd, s.GraceUntil) = (NextPeriodEnd(p, end, now, zone), null);
            return null;
        }
        if (p.GraceDays > 0 && s.GraceUntil is null)
        {
            s.GraceUntil = end.AddDays(p.GraceDays);
            if (s.GraceUntil > now) return null;
            return Due(p, s, buckets, now, zone);
        }
        var reason = s.GraceUntil is not null ? "downgrade_after_grace" : p.Downgrade == TierNames.OneDown ? "downgrade_one_down" : "downgrade_period_end";
        var target = p.Downgrade == TierNames.OneDown ? Math.Max(qualified, rank - 1) : qualified;
        s.Earned = target >= 0 ? p.Levels[target].Name : null;
        s.Legacy = false;
        s.EarnedSince = now;
        s.GraceUntil = null;
        s.PeriodEnd = target >= 0 ? NextPeriodEnd(p, end, now, zone) : null;
        return reason;
    }

    private static DateTime? NextPeriodEnd(TierPolicy p, DateTime end, DateTime now, TimeZoneInfo zone)
    {
        if (p.Window != TierNames.RollingMonths) return PeriodEnd(p, now, zone);
        var next = end;
        while (next <= now) next = next.AddMonths(p.WindowMonths ?? 12);
        return next;
    }
}
