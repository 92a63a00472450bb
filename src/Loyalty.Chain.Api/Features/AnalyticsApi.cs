using System.Globalization;
using System.Text;
using Loyalty.Chain.Access;
using Loyalty.Chain.Analytics;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Program KPIs from the daily roll-ups, and streamed CSV exports of members and of the ledger.</summary>
public static class AnalyticsApi
{
    public static RouteGroupBuilder MapAnalytics(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Analytics");
        group.MapGet("/analytics", GetAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/analytics/rebuild", RebuildAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("analytics-rebuild");
        group.MapGet("/analytics/rebuild", RebuildStatusAsync).RequireProgramRole(ApiRole.Admin);
        group.MapGet("/exports/members.csv", MembersCsvAsync).RequireProgramRole(ApiRole.Admin);
        group.MapGet("/exports/ledger.csv", LedgerCsvAsync).RequireProgramRole(ApiRole.Admin);
        return group;
    }

    /// <summary>Folds what is new since the last fold (a few index seeks when nothing is), then reads the roll-ups only.</summary>
    private static async Task<Ok<AnalyticsReport>> GetAsync(HttpContext http, string? from, string? to, string? granularity, AnalyticsRollup rollup,
        AnalyticsQuery query, TimeProvider time, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var last = to is null ? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) : Date(to, "to");
        var first = from is null ? last.AddDays(-29) : Date(from, "from");
        await rollup.FoldAsync(programId, ct);
        return TypedResults.Ok(await query.ReadAsync(programId, first, last, granularity ?? AnalyticsMath.Day, ct));
    }

    public sealed record RebuildView(long Id, string Status, string RequestedBy, DateTime RequestedAt, DateTime? StartedAt, DateTime? CompletedAt,
        string RowsFolded, string? Error);

    /// <summary>
    /// Queues a rebuild of the program's roll-ups from the source rows (202; the rebuild job runs it, and the figures answered
    /// meanwhile are the current ones until the new ones are complete). While one is queued or running, that one is answered.
    /// </summary>
    private static async Task<Accepted<RebuildView>> RebuildAsync(HttpContext http, AnalyticsRebuilder rebuilder, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var (rebuild, _) = await rebuilder.RequestAsync(programId, http.Caller().Actor, ct);
        return TypedResults.Accepted($"/v1/programs/{programId}/analytics/rebuild", View(rebuild));
    }

    /// <summary>The program's latest rebuild: who asked, when, how far it got.</summary>
    private static async Task<Ok<RebuildView>> RebuildStatusAsync(HttpContext http, AnalyticsRebuilder rebuilder, CancellationToken ct) =>
        TypedResults.Ok(View(await rebuilder.LatestAsync(http.Program().Id, ct)
            ?? throw new LoyaltyException("ANALYTICS_REBUILD_NOT_FOUND", "this program's analytics have never been rebuilt", 404)));

    private static RebuildView View(AnalyticsRebuild r) => new(r.Id, r.Status.ToString(), r.RequestedBy, r.RequestedAt, r.StartedAt, r.CompletedAt,
        r.RowsFolded.ToString(CultureInfo.InvariantCulture), r.Error);

    private static DateOnly Date(string text, string name) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year >= 2000
            ? d : throw new LoyaltyException("INVALID_DATE", $"{name} must be a date yyyy-MM-dd");

    /// <summary>Streams row by row from the query (nothing buffered); text cells go through <see cref="Csv.Cell"/>.</summary>
    private static async Task MembersCsvAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var rows = from m in db.Set<Member>().AsNoTracking()
                   where m.ProgramId == programId
                   join b in db.Set<MemberBalance>().AsNoTracking() on m.Id equals b.MemberId into bs
                   from b in bs.DefaultIfEmpty()
                   orderby m.Id
                   select new { m.ExternalId, m.Tier, m.WalletAddress, m.WalletKind, m.CreatedAt, m.BlockedAt,
                       Pending = (long?)b.Pending, Available = (long?)b.Available, Reserved = (long?)b.Reserved, Lifetime = (long?)b.LifetimeEarned };
        await using var writer = await BeginAsync(http, $"members-{programId}.csv", "memberId,tier,walletAddress,walletKind,enrolledAt,blocked,pending,available,reserved,lifetimeEarned");
        var n = 0;
        await foreach (var r in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            await writer.WriteAsync($"{Csv.Cell(r.ExternalId)},{Csv.Cell(r.Tier)},{Csv.Cell(r.WalletAddress)},{r.WalletKind},{Time(r.CreatedAt)}," +
                $"{(r.BlockedAt is null ? "false" : "true")},{r.Pending ?? 0},{r.Available ?? 0},{r.Reserved ?? 0},{r.Lifetime ?? 0}\r\n");
            if (++n % 500 == 0) await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>Every ledger leg created in from..to (UTC days, inclusive), in id order.</summary>
    private static async Task LedgerCsvAsync(HttpContext http, string? from, string? to, LoyaltyDbContext db, TimeProvider time, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var last = to is null ? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) : Date(to, "to");
        var first = from is null ? last.AddDays(-29) : Date(from, "from");
        if (last < first) throw new LoyaltyException("INVALID_DATE_RANGE", "from must be on or before to");
        DateTime start = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), end = last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = from e in db.Set<LedgerEntry>().AsNoTracking()
                   where e.ProgramId == programId && e.CreatedAt >= start && e.CreatedAt < end
                   join m in db.Set<Member>().AsNoTracking() on e.MemberId equals (long?)m.Id into ms
                   from m in ms.DefaultIfEmpty()
                   orderby e.Id
                   select new { e.Id, e.CreatedAt, e.PostingId, e.Account, e.Kind, Member = m.ExternalId, e.Amount, e.EventId, e.Note };
        await using var writer = await BeginAsync(http, $"ledger-{programId}-{first:yyyyMMdd}-{last:yyyyMMdd}.csv", "id,createdAt,postingId,account,kind,memberId,amount,eventId,note");
        var n = 0;
        await foreach (var r in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            await writer.WriteAsync($"{r.Id},{Time(r.CreatedAt)},{r.PostingId},{r.Account},{r.Kind},{Csv.Cell(r.Member)},{r.Amount}," +
                $"{r.EventId?.ToString(CultureInfo.InvariantCulture)},{Csv.Cell(r.Note)}\r\n");
            if (++n % 500 == 0) await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
    }

    private static async Task<StreamWriter> BeginAsync(HttpContext http, string file, string header)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{file}\"";
        var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(header + "\r\n");
        return writer;
    }

    private static string Time(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
