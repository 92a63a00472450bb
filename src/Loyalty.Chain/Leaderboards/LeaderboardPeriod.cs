namespace Loyalty.Chain.Leaderboards;

public enum LeaderboardPeriodKind { Week, Month, Year, All }

/// <summary>A leaderboard period: local calendar days of the program's zone, as a UTC half-open range [From, To).</summary>
public sealed record LeaderboardPeriod(LeaderboardPeriodKind Kind, DateOnly? FirstDay, DateOnly? LastDay, DateTime? FromUtc, DateTime? ToUtc)
{
    public static LeaderboardPeriodKind Parse(string? period) => period switch
    {
        null or "" or "month" => LeaderboardPeriodKind.Month,
        "week" => LeaderboardPeriodKind.Week,
        "year" => LeaderboardPeriodKind.Year,
        "all" => LeaderboardPeriodKind.All,
        _ => throw new LoyaltyException("INVALID_PERIOD", "period must be week, month, year or all"),
    };

    /// <summary>The period containing the local day <paramref name="at"/>; weeks start on Monday (ISO 8601).</summary>
    public static LeaderboardPeriod Of(LeaderboardPeriodKind kind, DateOnly at, TimeZoneInfo zone)
    {
        DateOnly first, next;
        switch (kind)
        {
            case LeaderboardPeriodKind.Week:
                first = at.AddDays(-(((int)at.DayOfWeek + 6) % 7));
                next = first.AddDays(7);
                break;
            case LeaderboardPeriodKind.Month:
                first = new DateOnly(at.Year, at.Month, 1);
                next = first.AddMonths(1);
                break;
            case LeaderboardPeriodKind.Year:
                first = new DateOnly(at.Year, 1, 1);
                next = first.AddYears(1);
                break;
            default:
                return new LeaderboardPeriod(kind, null, null, null, null);
        }
        return new LeaderboardPeriod(kind, first, next.AddDays(-1), LocalMidnightToUtc(first, zone), LocalMidnightToUtc(next, zone));
    }

    private static DateTime LocalMidnightToUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A midnight skipped by a DST change starts the day an hour later.
        while (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
