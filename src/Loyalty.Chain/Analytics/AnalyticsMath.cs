namespace Loyalty.Chain.Analytics;

/// <summary>The pure period and rate arithmetic of the KPIs (UTC days; weeks start on Monday; months are calendar months).</summary>
public static class AnalyticsMath
{
    public const string Day = "day", Week = "week", Month = "month";
    public static readonly string[] Granularities = [Day, Week, Month];

    public static int DayOf(DateTime utc) => DateOnly.FromDateTime(utc).DayNumber;
    public static int MonthOf(DateOnly d) => checked(d.Year * 12 + d.Month - 1);
    public static int MonthOf(DateTime utc) => MonthOf(DateOnly.FromDateTime(utc));
    public static string MonthLabel(int month) => $"{month / 12:0000}-{month % 12 + 1:00}";

    /// <summary>The first day of the period holding <paramref name="d"/>.</summary>
    public static DateOnly PeriodStart(DateOnly d, string granularity) => granularity switch
    {
        Day => d,
        Week => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)),
        Month => new DateOnly(d.Year, d.Month, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(granularity)),
    };

    /// <summary>The periods covering from..to (inclusive), each clipped to the range: (label start, first day, last day).</summary>
    public static List<(DateOnly Start, DateOnly First, DateOnly Last)> Periods(DateOnly from, DateOnly to, string granularity)
    {
        var list = new List<(DateOnly, DateOnly, DateOnly)>();
        for (var start = PeriodStart(from, granularity); start <= to;)
        {
            var next = granularity switch { Day => start.AddDays(1), Week => start.AddDays(7), _ => start.AddMonths(1) };
            list.Add((start, start < from ? from : start, next.AddDays(-1) > to ? to : next.AddDays(-1)));
            start = next;
        }
        return list;
    }

    /// <summary>numerator / denominator, 0 when there is nothing to divide by (no purchases yet is not NaN in JSON).</summary>
    public static double Rate(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    public static double Rate(System.Numerics.BigInteger numerator, System.Numerics.BigInteger denominator) =>
        denominator.IsZero ? 0 : (double)numerator / (double)denominator;
}
