using System.Globalization;
using System.Numerics;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Analytics;

public sealed record MembersKpi(long Total, long New, long Active30d, long Active90d);
public sealed record SeriesPoint(string Period, long NewMembers, long ActiveMembers, long Purchases, string PurchaseAmount, string PointsIssued,
    string PointsRedeemed, string PointsExpired, string PointsClawedBack, string GasWei);
public sealed record LiabilityKpi(string Pending, string Available, string OnChainSupply);
public sealed record TierMembers(string? Tier, long Members);
public sealed record TierMigration(string? From, string? To, long Members);
public sealed record TiersKpi(List<TierMembers> Distribution, List<TierMigration> Migrations);
public sealed record CohortKpi(string Cohort, long Size, List<double> Retention);
public sealed record RuleKpi(long RuleId, string Name, string PointsAwarded, long MembersReached);
public sealed record GasKpi(string TotalWei, string PerAccrualWei, double ShareOfPointsIssued);
public sealed record AnalyticsReport(long ProgramId, string From, string To, string Granularity, DateTime GeneratedAt, MembersKpi Members,
    List<SeriesPoint> Series, double PurchaseFrequency, double AverageBasket, double RepeatPurchaseRate, double RedemptionRate, double Breakage,
    LiabilityKpi Liability, TiersKpi Tiers, List<CohortKpi> Cohorts, List<RuleKpi> Rules, GasKpi Gas);

/// <summary>
/// Reads one KPI answer from the roll-ups only: the days of the range, the tier, cohort and rule rows, and for the distinct
/// member counts the per-member, per-rule-member and per-month rows when nothing is active after the range's end (a range
/// ending today), else the member-days of the range and of the 90 days before its end. Never the events or the ledger.
/// </summary>
public sealed class AnalyticsQuery(LoyaltyDbContext db, TimeProvider time)
{
    public const int MaxRangeDays = 3660;

    public async Task<AnalyticsReport> ReadAsync(long programId, DateOnly from, DateOnly to, string granularity, CancellationToken ct)
    {
        if (!AnalyticsMath.Granularities.Contains(granularity))
            throw new LoyaltyException("INVALID_GRANULARITY", "granularity must be day, week or month");
        if (to < from || to.DayNumber - from.DayNumber >= MaxRangeDays)
            throw new LoyaltyException("INVALID_DATE_RANGE", $"from must be on or before to, and the range at most {MaxRangeDays} days");
        int f = from.DayNumber, t = to.DayNumber;
        // The rows of the live roll-up key (the program id unless a rebuild swapped in another: AnalyticsKeys).
        var key = await AnalyticsKeys.LiveAsync(db, programId, ct);
        var cohortFirst = new DateOnly(from.Year, from.Month, 1).DayNumber;
        var days = await db.Set<AnalyticsDaily>().AsNoTracking().Where(x => x.ProgramId == key && x.Day >= Math.Min(cohortFirst, f) && x.Day <= t)
            .ToListAsync(ct);
        var inRange = days.Where(x => x.Day >= f).ToList();
        var state = await db.Set<AnalyticsState>().AsNoTracking().SingleOrDefaultAsync(x => x.ProgramId == key, ct) ?? new AnalyticsState();
        var memberDays = db.Set<AnalyticsMemberDay>().AsNoTracking().Where(x => x.ProgramId == key);

        // Nothing active after the range's end (a range ending today): the distinct counts are index range counts on the
        // per-member and per-month rows (AnalyticsMemberState); otherwise they are counted from the member-days.
        var current = !await memberDays.AnyAsync(x => x.Day > t, ct);
        var monthly = granularity != AnalyticsMath.Month ? [] : await db.Set<AnalyticsMonthly>().AsNoTracking()
            .Where(x => x.ProgramId == key && x.Month >= AnalyticsMath.MonthOf(from) && x.Month <= AnalyticsMath.MonthOf(to))
            .ToDictionaryAsync(x => x.Month, x => x.ActiveMembers, ct);

        async Task<long> Distinct(DateOnly first, DateOnly last)
        {
            // A whole month, or its part up to the end of the range with nothing active after it: the month's counter.
            if (granularity == AnalyticsMath.Month && first.Day == 1 && (last.AddDays(1).Day == 1 || current && last.DayNumber == t))
                return monthly.GetValueOrDefault(AnalyticsMath.MonthOf(first));
            return await memberDays.Where(x => x.Day >= first.DayNumber && x.Day <= last.DayNumber).Select(x => x.MemberId).Distinct().LongCountAsync(ct);
        }

        var series = new List<SeriesPoint>();
        foreach (var (start, first, last) in AnalyticsMath.Periods(from, to, granularity))
        {
            var rows = inRange.Where(x => x.Day >= first.DayNumber && x.Day <= last.DayNumber).ToList();
            var active = granularity == AnalyticsMath.Day ? rows.Sum(x => x.ActiveMembers) : await Distinct(first, last);
            series.Add(new SeriesPoint(start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), rows.Sum(x => x.NewMembers), active,
                rows.Sum(x => x.Purchases), S(rows.Sum(x => x.PurchaseAmount)), S(rows.Sum(x => x.PointsIssued)), S(rows.Sum(x => x.PointsRedeemed)),
                S(rows.Sum(x => x.PointsExpired)), S(rows.Sum(x => x.PointsClawedBack)), Sum(rows.Select(x => x.GasWei)).ToString(CultureInfo.InvariantCulture)));
        }

        var activity = current ? await CurrentActivityAsync(key, f, t, ct) : await ActivityAsync(key, f, t, ct);
        long purchasers = activity.Purchasers, repeaters = activity.Repeaters;
        long purchases = inRange.Sum(x => x.Purchases), amount = inRange.Sum(x => x.PurchaseAmount), issued = inRange.Sum(x => x.PointsIssued);
        long accruals = inRange.Sum(x => x.Accruals);
        var gas = Sum(inRange.Select(x => x.GasWei));

        var tierRows = await db.Set<AnalyticsTierCount>().AsNoTracking().Where(x => x.ProgramId == key && x.Members != 0).OrderBy(x => x.Tier).ToListAsync(ct);
        var migrations = await db.Set<AnalyticsTierMigration>().AsNoTracking().Where(x => x.ProgramId == key && x.Day >= f && x.Day <= t)
            .GroupBy(x => new { x.From, x.To }).Select(g => new { g.Key.From, g.Key.To, Members = g.Sum(x => x.Members) }).ToListAsync(ct);

        int firstCohort = AnalyticsMath.MonthOf(from), lastCohort = AnalyticsMath.MonthOf(to);
        var cohortRows = await db.Set<AnalyticsCohortMonth>().AsNoTracking()
            .Where(x => x.ProgramId == key && x.Cohort >= firstCohort && x.Cohort <= lastCohort && x.Cohort + x.Offset <= lastCohort).ToListAsync(ct);
        var cohorts = new List<CohortKpi>();
        for (var c = firstCohort; c <= lastCohort; c++)
        {
            var size = days.Where(x => AnalyticsMath.MonthOf(DateOnly.FromDayNumber(x.Day)) == c).Sum(x => x.NewMembers);
            var retention = Enumerable.Range(0, lastCohort - c + 1)
                .Select(k => AnalyticsMath.Rate(cohortRows.Where(x => x.Cohort == c && x.Offset == k).Sum(x => x.ActiveMembers), size)).ToList();
            cohorts.Add(new CohortKpi(AnalyticsMath.MonthLabel(c), size, retention));
        }

        var ruleRows = await db.Set<AnalyticsRuleDaily>().AsNoTracking().Where(x => x.ProgramId == key && x.Day >= f && x.Day <= t).ToListAsync(ct);
        var reached = new Dictionary<long, long>();
        if (current)
            foreach (var rule in ruleRows.Select(x => x.RuleId).Distinct())
                reached[rule] = await db.Set<AnalyticsRuleMemberState>().LongCountAsync(x => x.ProgramId == key && x.RuleId == rule && x.LastDay >= f, ct);
        else
            reached = await db.Set<AnalyticsRuleMemberDay>().AsNoTracking().Where(x => x.ProgramId == key && x.Day >= f && x.Day <= t)
                .GroupBy(x => x.RuleId).Select(g => new { RuleId = g.Key, Members = g.Select(x => x.MemberId).Distinct().LongCount() }).ToDictionaryAsync(x => x.RuleId, x => x.Members, ct);
        var rules = ruleRows.GroupBy(x => x.RuleId).OrderBy(g => g.Key)
            .Select(g => new RuleKpi(g.Key, g.OrderBy(x => x.Day).Last().Name, S(g.Sum(x => x.Points)), reached.GetValueOrDefault(g.Key))).ToList();

        var supply = await db.Set<ReconciliationReport>().AsNoTracking().Where(x => x.ProgramId == programId).OrderByDescending(x => x.Id)
            .Select(x => x.ChainTotalSupply).FirstOrDefaultAsync(ct);

        return new AnalyticsReport(programId, from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            granularity, time.GetUtcNow().UtcDateTime,
            new MembersKpi(state.MembersTotal, inRange.Sum(x => x.NewMembers), activity.Active30d, activity.Active90d),
            series, AnalyticsMath.Rate(purchases, purchasers), AnalyticsMath.Rate(amount, purchases), AnalyticsMath.Rate(repeaters, purchasers),
            AnalyticsMath.Rate(inRange.Sum(x => x.PointsRedeemed), issued), AnalyticsMath.Rate(inRange.Sum(x => x.PointsExpired), issued),
            new LiabilityKpi(S(state.Pending), S(state.Available), supply.ToString(CultureInfo.InvariantCulture)),
            new TiersKpi(tierRows.Select(x => new TierMembers(x.Tier == "" ? null : x.Tier, x.Members)).ToList(),
                migrations.OrderBy(x => x.From).ThenBy(x => x.To).Select(x => new TierMigration(x.From == "" ? null : x.From, x.To == "" ? null : x.To, x.Members)).ToList()),
            cohorts, rules,
            new GasKpi(gas.ToString(CultureInfo.InvariantCulture), (accruals == 0 ? BigInteger.Zero : gas / accruals).ToString(CultureInfo.InvariantCulture),
                AnalyticsMath.Rate(gas, issued)));
    }

    /// <summary>The distinct-member counts of one answer (active in the 30 and 90 days ending on <c>to</c>, purchasers and
    /// repeaters of the range) from one pass over the member-days they span, grouped by member once: four separate
    /// distinct counts read the same rows up to four times, and that was most of an answer's time at 100,000 members.</summary>
    public sealed class Activity
    {
        public long Active30d { get; init; }
        public long Active90d { get; init; }
        public long Purchasers { get; init; }
        public long Repeaters { get; init; }
    }

    /// <summary>The same counts when no member-day lies after <paramref name="t"/>: four index range counts on the per-member rows.</summary>
    private async Task<Activity> CurrentActivityAsync(long key, int f, int t, CancellationToken ct)
    {
        var states = db.Set<AnalyticsMemberState>().Where(x => x.ProgramId == key);
        return new Activity
        {
            Active30d = await states.LongCountAsync(x => x.LastActiveDay >= t - 29, ct),
            Active90d = await states.LongCountAsync(x => x.LastActiveDay >= t - 89, ct),
            Purchasers = await states.LongCountAsync(x => x.LastPurchaseDay >= f, ct),
            Repeaters = await states.LongCountAsync(x => x.PrevPurchaseDay >= f, ct),
        };
    }

    private async Task<Activity> ActivityAsync(long key, int f, int t, CancellationToken ct)
    {
        int a30 = t - 29, a90 = t - 89, lo = Math.Min(f, a90);
        return await db.Database.SqlQuery<Activity>($"""
            SELECT COALESCE(SUM(a30), 0) AS "Active30d", COALESCE(SUM(a90), 0) AS "Active90d",
                   COALESCE(SUM(CASE WHEN p >= 1 THEN 1 ELSE 0 END), 0) AS "Purchasers", COALESCE(SUM(CASE WHEN p >= 2 THEN 1 ELSE 0 END), 0) AS "Repeaters"
            FROM (SELECT MAX(CASE WHEN "Day" >= {a30} THEN 1 ELSE 0 END) AS a30, MAX(CASE WHEN "Day" >= {a90} THEN 1 ELSE 0 END) AS a90,
                         SUM(CASE WHEN "Day" >= {f} THEN "Purchases" ELSE 0 END) AS p
                  FROM "AnalyticsMemberDays" WHERE "ProgramId" = {key} AND "Day" >= {lo} AND "Day" <= {t} GROUP BY "MemberId") AS m
            """).SingleAsync(ct);
    }

    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static BigInteger Sum(IEnumerable<BigInteger> values) => values.Aggregate(BigInteger.Zero, (a, b) => a + b);
}
