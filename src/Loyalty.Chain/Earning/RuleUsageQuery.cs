using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Earning;

/// <summary>Loads a <see cref="RuleUsage"/> snapshot from <see cref="RuleAward"/> rows.</summary>
public sealed class RuleUsageQuery(LoyaltyDbContext db)
{
    /// <summary>
    /// Usage of <paramref name="rules"/> for one member, with the day and month that contain
    /// <paramref name="at"/> (UTC, normally the event's OccurredAt) in <paramref name="zone"/>. Only the
    /// figures a rule's limits need are queried; the others read 0.
    /// </summary>
    /// <remarks>
    /// A snapshot: two events of one member evaluated concurrently can both see the same remaining limit.
    /// Callers that must never exceed a limit serialize evaluation per member (and per budgeted campaign).
    /// </remarks>
    public async Task<RuleUsage> LoadAsync(long programId, long memberId, IEnumerable<EarningRule> rules,
        DateTime at, TimeZoneInfo zone, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(zone);
        var list = rules.ToList();
        var memberRuleIds = list.Where(r => r.Limits.PerMemberPerDay is not null || r.Limits.PerMemberPerMonth is not null)
            .Select(r => r.Id).Distinct().ToList();
        var budgetRuleIds = list.Where(r => r.Limits.Budget is not null).Select(r => r.Id).Distinct().ToList();
        var period = LocalPeriods.For(at, zone);

        var perMember = new Dictionary<long, (long Today, long Month)>();
        if (memberRuleIds.Count > 0)
        {
            // Day and month in one range scan: the day lies inside the month.
            var rows = await db.Set<RuleAward>().AsNoTracking()
                .Where(a => a.ProgramId == programId && a.MemberId == memberId && memberRuleIds.Contains(a.RuleId)
                    && a.AwardedAt >= period.MonthStart && a.AwardedAt < period.MonthEnd)
                .GroupBy(a => a.RuleId)
                .Select(g => new
                {
                    RuleId = g.Key,
                    Today = g.Sum(a => a.AwardedAt >= period.DayStart && a.AwardedAt < period.DayEnd ? a.Points : 0L),
                    Month = g.Sum(a => a.Points),
                })
                .ToListAsync(ct);
            foreach (var row in rows) perMember[row.RuleId] = (row.Today, row.Month);
        }

        var totals = new Dictionary<long, long>();
        if (budgetRuleIds.Count > 0)
        {
            var rows = await db.Set<RuleAward>().AsNoTracking()
                .Where(a => a.ProgramId == programId && budgetRuleIds.Contains(a.RuleId))
                .GroupBy(a => a.RuleId)
                .Select(g => new { RuleId = g.Key, Total = g.Sum(a => a.Points) })
                .ToListAsync(ct);
            foreach (var row in rows) totals[row.RuleId] = row.Total;
        }

        var entries = new Dictionary<long, RuleUsageEntry>();
        foreach (var id in perMember.Keys.Union(totals.Keys))
        {
            var member = perMember.GetValueOrDefault(id);
            entries[id] = new RuleUsageEntry(member.Today, member.Month, totals.GetValueOrDefault(id));
        }
        return new RuleUsage(entries);
    }

    /// <summary>
    /// Usage of <paramref name="rules"/> for several members at once, for events at <paramref name="instants"/>:
    /// one query per distinct local day among the instants (normally one) and one for campaign budgets, instead
    /// of one per event. Awards written after loading are added with <see cref="RuleUsageTally.Record"/>, so a
    /// later event of the same member (or of the same budgeted campaign) sees them exactly as a fresh
    /// <see cref="LoadAsync"/> would.
    /// </summary>
    /// <remarks>Same snapshot caveat as <see cref="LoadAsync"/>: load it after the members' row locks are taken.</remarks>
    public async Task<RuleUsageTally> LoadTallyAsync(long programId, IReadOnlyCollection<long> memberIds, IEnumerable<EarningRule> rules,
        IEnumerable<DateTime> instants, TimeZoneInfo zone, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(instants);
        ArgumentNullException.ThrowIfNull(zone);
        var list = rules.ToList();
        var memberRuleIds = list.Where(r => r.Limits.PerMemberPerDay is not null || r.Limits.PerMemberPerMonth is not null)
            .Select(r => r.Id).Distinct().ToList();
        var budgetRuleIds = list.Where(r => r.Limits.Budget is not null).Select(r => r.Id).Distinct().ToList();
        var tally = new RuleUsageTally(zone, memberRuleIds, budgetRuleIds);
        var ids = memberIds.Distinct().ToList();

        foreach (var period in instants.Select(at => LocalPeriods.For(at, zone)).Distinct())
        {
            var perMember = new Dictionary<(long MemberId, long RuleId), (long Today, long Month)>();
            if (memberRuleIds.Count > 0 && ids.Count > 0)
            {
                // As in LoadAsync, day and month in one range scan, now for every member of the batch at once.
                var rows = await db.Set<RuleAward>().AsNoTracking()
                    .Where(a => a.ProgramId == programId && ids.Contains(a.MemberId) && memberRuleIds.Contains(a.RuleId)
                        && a.AwardedAt >= period.MonthStart && a.AwardedAt < period.MonthEnd)
                    .GroupBy(a => new { a.MemberId, a.RuleId })
                    .Select(g => new
                    {
                        g.Key.MemberId,
                        g.Key.RuleId,
                        Today = g.Sum(a => a.AwardedAt >= period.DayStart && a.AwardedAt < period.DayEnd ? a.Points : 0L),
                        Month = g.Sum(a => a.Points),
                    })
                    .ToListAsync(ct);
                foreach (var row in rows) perMember[(row.MemberId, row.RuleId)] = (row.Today, row.Month);
            }
            tally.Periods[period] = perMember;
        }

        if (budgetRuleIds.Count > 0)
        {
            var rows = await db.Set<RuleAward>().AsNoTracking()
                .Where(a => a.ProgramId == programId && budgetRuleIds.Contains(a.RuleId))
                .GroupBy(a => a.RuleId)
                .Select(g => new { RuleId = g.Key, Total = g.Sum(a => a.Points) })
                .ToListAsync(ct);
            foreach (var row in rows) tally.Totals[row.RuleId] = row.Total;
        }
        return tally;
    }
}

/// <summary>
/// Rule usage loaded once for a group of events (see <see cref="RuleUsageQuery.LoadTallyAsync"/>) plus the awards
/// written since, so each event is evaluated on what the database would say at that moment.
/// </summary>
public sealed class RuleUsageTally
{
    private readonly TimeZoneInfo zone;
    private readonly HashSet<long> memberRuleIds;
    private readonly HashSet<long> budgetRuleIds;
    private readonly List<RuleAward> recorded = [];

    internal RuleUsageTally(TimeZoneInfo zone, IEnumerable<long> memberRuleIds, IEnumerable<long> budgetRuleIds)
    {
        this.zone = zone;
        this.memberRuleIds = [.. memberRuleIds];
        this.budgetRuleIds = [.. budgetRuleIds];
    }

    internal Dictionary<LocalPeriods, Dictionary<(long MemberId, long RuleId), (long Today, long Month)>> Periods { get; } = [];
    internal Dictionary<long, long> Totals { get; } = [];

    /// <summary>What <see cref="RuleUsageQuery.LoadAsync"/> would return now for this member and instant.</summary>
    /// <exception cref="InvalidOperationException">The instant's local day was not among those loaded.</exception>
    public RuleUsage For(long memberId, DateTime at)
    {
        if (memberRuleIds.Count == 0 && budgetRuleIds.Count == 0) return RuleUsage.None;
        var period = LocalPeriods.For(at, zone);
        if (!Periods.TryGetValue(period, out var loaded))
            throw new InvalidOperationException($"usage for {at:O} was not loaded");
        var entries = new Dictionary<long, RuleUsageEntry>();
        foreach (var ruleId in memberRuleIds.Union(budgetRuleIds))
        {
            long today = 0, month = 0, total = 0;
            if (memberRuleIds.Contains(ruleId))
            {
                (today, month) = loaded.GetValueOrDefault((memberId, ruleId));
                foreach (var a in recorded)
                {
                    if (a.MemberId != memberId || a.RuleId != ruleId || a.AwardedAt < period.MonthStart || a.AwardedAt >= period.MonthEnd) continue;
                    month += a.Points;
                    if (a.AwardedAt >= period.DayStart && a.AwardedAt < period.DayEnd) today += a.Points;
                }
            }
            if (budgetRuleIds.Contains(ruleId))
                total = Totals.GetValueOrDefault(ruleId) + recorded.Where(a => a.RuleId == ruleId).Sum(a => a.Points);
            if (today != 0 || month != 0 || total != 0) entries[ruleId] = new RuleUsageEntry(today, month, total);
        }
        return new RuleUsage(entries);
    }

    /// <summary>Counts awards written (and kept) after the tally was loaded; call it only once they are sure to stay.</summary>
    public void Record(IEnumerable<RuleAward> awards)
    {
        ArgumentNullException.ThrowIfNull(awards);
        foreach (var a in awards)
        {
            if (memberRuleIds.Contains(a.RuleId) || budgetRuleIds.Contains(a.RuleId))
                recorded.Add(new RuleAward { MemberId = a.MemberId, RuleId = a.RuleId, Points = a.Points, AwardedAt = LocalPeriods.AsUtc(a.AwardedAt) });
        }
    }
}

/// <summary>The UTC bounds of the local calendar day and month that contain an instant.</summary>
internal readonly record struct LocalPeriods(DateTime DayStart, DateTime DayEnd, DateTime MonthStart, DateTime MonthEnd)
{
    public static LocalPeriods For(DateTime utc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(AsUtc(utc), zone);
        var day = local.Date;
        var month = new DateTime(day.Year, day.Month, 1);
        return new LocalPeriods(StartOf(day, zone), StartOf(day.AddDays(1), zone),
            StartOf(month, zone), StartOf(month.AddMonths(1), zone));
    }

    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => throw new ArgumentException("Expected a UTC time, got a local one.", nameof(value)),
    };

    /// <summary>The UTC instant a local day starts, even when its midnight does not exist or happens twice.</summary>
    private static DateTime StartOf(DateTime localMidnight, TimeZoneInfo zone)
    {
        var local = DateTime.SpecifyKind(localMidnight, DateTimeKind.Unspecified);
        // Some zones spring forward at midnight (America/Santiago): that day starts when the clocks jump.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(1);
        if (zone.IsAmbiguousTime(local))
        {
            // Midnight happens twice after a fall-back at 01:00: the day starts at the first one.
            var largest = zone.GetAmbiguousTimeOffsets(local).Max();
            return DateTime.SpecifyKind(local - largest, DateTimeKind.Utc);
        }
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
