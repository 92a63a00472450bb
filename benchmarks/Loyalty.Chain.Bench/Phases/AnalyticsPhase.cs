using System.Diagnostics;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record AnalyticsFigures(int Members, int Events, double SeedSeconds, int Requests, double P50Ms, double P99Ms, double P99MsYearByMonth);

/// <summary>
/// KPI reads at size: a new program, whose roll-up rows (what <c>AnalyticsRollup</c> would have folded from the given
/// members and events spread over the last 365 days) are seeded straight into the API's SQLite file with set-based inserts,
/// then GET /analytics for the last 30 days by day, one request at a time, timed by the client. The fold before each read
/// finds nothing new (the marks are past every source row), so what is timed is the roll-up read the endpoint does.
/// </summary>
public static class AnalyticsPhase
{
    public static async Task<AnalyticsFigures> RunAsync(ApiClient api, string rootKey, string dataDir, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        var program = await BenchProgram.CreateAsync(api, rootKey, "Bench analytics", 0, ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow).DayNumber;
        log($"analytics: seeding roll-ups for {s.AnalyticsMembers:N0} members and {s.AnalyticsEvents:N0} events (program {program.Id})");
        var clock = Stopwatch.StartNew();
        await SqliteAsync(Path.Combine(dataDir, "loyalty.db"), Seed(program.Id, s.AnalyticsMembers, s.AnalyticsEvents, today), ct);
        var seedSeconds = clock.Elapsed.TotalSeconds;
        log($"analytics: seeded in {seedSeconds:F1} s");

        var to = DateOnly.FromDayNumber(today);
        var month = await TimeAsync(api, program, $"/analytics?from={to.AddDays(-29):yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity=day", s.AnalyticsRequests, ct);
        var year = await TimeAsync(api, program, $"/analytics?from={to.AddDays(-364):yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity=month", Math.Max(10, s.AnalyticsRequests / 10), ct);
        log($"analytics: 30 days by day p50 {Load.Percentile(month, 50):F1} ms, p99 {Load.Percentile(month, 99):F1} ms; 365 days by month p99 {Load.Percentile(year, 99):F1} ms");
        return new AnalyticsFigures(s.AnalyticsMembers, s.AnalyticsEvents, seedSeconds, month.Length, Load.Percentile(month, 50), Load.Percentile(month, 99),
            Load.Percentile(year, 99));
    }

    private static async Task<double[]> TimeAsync(ApiClient api, BenchProgram program, string path, int requests, CancellationToken ct)
    {
        await api.RequireAsync(HttpMethod.Get, program.P(path), program.AdminKey, ct: ct); // warm-up (and the one fold that finds nothing)
        var ms = new double[requests];
        for (var i = 0; i < requests; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await api.RequireAsync(HttpMethod.Get, program.P(path), program.AdminKey, ct: ct);
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        return ms;
    }

    /// <summary>
    /// Event e belongs to member (e * 7919) % members and day today - (e * 104729) % 365; member m enrolled on day
    /// today - (m * 31) % 365. Purchases of 25.00, 25 points each, by one rule.
    /// </summary>
    private static string Seed(long p, int members, int events, int today) => $"""
        PRAGMA busy_timeout = 30000;
        BEGIN;
        CREATE TEMP TABLE ev AS WITH RECURSIVE e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i + 1 < {events})
            SELECT (i * 7919) % {members} + 1 AS m, {today} - (i * 104729) % 365 AS d FROM e;
        CREATE TEMP TABLE mem AS WITH RECURSIVE n(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM n WHERE m < {members})
            SELECT m, {today} - (m * 31) % 365 AS d FROM n;
        INSERT INTO AnalyticsMemberDays (ProgramId, Day, MemberId, Purchases) SELECT {p}, d, m, COUNT(*) FROM ev GROUP BY d, m;
        CREATE TEMP TABLE md AS SELECT MemberId AS m, Day AS d,
            CAST(strftime('%Y', date('0001-01-01', '+' || Day || ' days')) AS INTEGER) * 12 + CAST(strftime('%m', date('0001-01-01', '+' || Day || ' days')) AS INTEGER) - 1 AS mo,
            Purchases FROM AnalyticsMemberDays WHERE ProgramId = {p};
        CREATE TEMP TABLE memc AS SELECT m, CAST(strftime('%Y', date('0001-01-01', '+' || d || ' days')) AS INTEGER) * 12
            + CAST(strftime('%m', date('0001-01-01', '+' || d || ' days')) AS INTEGER) - 1 AS c, d FROM mem;
        INSERT INTO AnalyticsDaily (ProgramId, Day, NewMembers, ActiveMembers, Purchases, PurchaseAmount, Accruals, PointsIssued, PointsRedeemed, PointsExpired, PointsClawedBack, GasWei)
            SELECT {p}, x.d, COALESCE((SELECT COUNT(*) FROM mem WHERE mem.d = x.d), 0), COUNT(*), SUM(Purchases), SUM(Purchases) * 2500, SUM(Purchases), SUM(Purchases) * 25,
                SUM(Purchases) * 5, SUM(Purchases), 0, '0' FROM md x GROUP BY x.d;
        INSERT INTO AnalyticsMemberMonths (ProgramId, MemberId, Month) SELECT DISTINCT {p}, m, mo FROM md;
        INSERT INTO AnalyticsCohortMonths (ProgramId, Cohort, Offset, ActiveMembers)
            SELECT {p}, memc.c, mm.Month - memc.c, COUNT(*) FROM AnalyticsMemberMonths mm JOIN memc ON memc.m = mm.MemberId
            WHERE mm.ProgramId = {p} AND mm.Month >= memc.c GROUP BY memc.c, mm.Month - memc.c;
        INSERT INTO AnalyticsRuleDaily (ProgramId, Day, RuleId, Name, Points) SELECT {p}, d, 1, '1 point per euro', SUM(Purchases) * 25 FROM md GROUP BY d;
        INSERT INTO AnalyticsRuleMemberDays (ProgramId, RuleId, Day, MemberId) SELECT {p}, 1, d, m FROM md;
        INSERT INTO AnalyticsMemberStates (ProgramId, MemberId, LastActiveDay, LastPurchaseDay, PrevPurchaseDay)
            SELECT {p}, m, MAX(CASE WHEN rn = 1 THEN d END), MAX(CASE WHEN rn = 1 THEN d END), MAX(CASE WHEN rn = 2 OR rn = 1 AND Purchases >= 2 THEN d END)
            FROM (SELECT m, d, Purchases, ROW_NUMBER() OVER (PARTITION BY m ORDER BY d DESC) AS rn FROM md) WHERE rn <= 2 GROUP BY m;
        INSERT INTO AnalyticsRuleMemberStates (ProgramId, RuleId, MemberId, LastDay) SELECT {p}, 1, m, MAX(d) FROM md GROUP BY m;
        INSERT INTO AnalyticsMonthly (ProgramId, Month, ActiveMembers) SELECT {p}, Month, COUNT(*) FROM AnalyticsMemberMonths WHERE ProgramId = {p} GROUP BY Month;
        INSERT INTO AnalyticsTierCounts (ProgramId, Tier, Members) VALUES ({p}, '', {members - members / 4 - members / 10}), ({p}, 'Silver', {members / 4}), ({p}, 'Gold', {members / 10});
        INSERT INTO AnalyticsStates (ProgramId, LedgerHwm, EventHwm, MemberHwm, TierChangeHwm, BatchHwm, MembersTotal, Pending, Available, UpdatedAt)
            VALUES ({p}, 9000000000000000000, 9000000000000000000, 9000000000000000000, 9000000000000000000, 9000000000000000000, {members}, 0, {(long)events * 20}, '2026-01-01 00:00:00')
            ON CONFLICT (ProgramId) DO UPDATE SET LedgerHwm = excluded.LedgerHwm, EventHwm = excluded.EventHwm, MemberHwm = excluded.MemberHwm,
                TierChangeHwm = excluded.TierChangeHwm, BatchHwm = excluded.BatchHwm, MembersTotal = excluded.MembersTotal, Available = excluded.Available;
        COMMIT;
        ANALYZE;
        """;

    /// <summary>Runs SQL through the sqlite3 shell (the bench talks to the API over HTTP only; this is the one seed it writes directly).</summary>
    internal static async Task SqliteAsync(string file, string sql, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("sqlite3", ["-bail", file]) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("sqlite3 did not start");
        await process.StandardInput.WriteAsync(sql);
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"sqlite3 seed failed ({process.ExitCode}): {await errors}");
    }
}
