using System.Globalization;
using System.Text;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Segments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Saved segments: definitions, and their membership computed on demand (count, pages, CSV export).</summary>
public static class SegmentsApi
{
    public sealed record SegmentRequest(string? Name, string? Description, SegmentDefinition? Definition);
    public sealed record SegmentView(long Id, string Name, string? Description, SegmentDefinition Definition, DateTime CreatedAt, DateTime UpdatedAt);
    public sealed record CountView(long SegmentId, long Members, DateTime ComputedAt);
    public sealed record MemberRowView(string MemberId, string? Tier, string Available, DateTime? LastPurchaseAt);
    public sealed record MembersPage(List<MemberRowView> Members, string? NextCursor);

    public static RouteGroupBuilder MapSegments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/segments").WithTags("Segments");
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPost("/", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("segments");
        group.MapGet("/{segmentId:long}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPut("/{segmentId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("segment-update");
        group.MapDelete("/{segmentId:long}", DeleteAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("segment-delete");
        group.MapGet("/{segmentId:long}/count", CountAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapGet("/{segmentId:long}/members", MembersAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapGet("/{segmentId:long}/export.csv", ExportAsync).RequireProgramRole(ApiRole.Admin);
        return group;
    }

    private static async Task<Ok<List<SegmentView>>> ListAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        var segments = await db.Set<Segment>().AsNoTracking().Where(s => s.ProgramId == id).OrderBy(s => s.Id).ToListAsync(ct);
        return TypedResults.Ok(segments.Select(View).ToList());
    }

    private static async Task<Created<SegmentView>> CreateAsync(HttpContext http, SegmentRequest r, LoyaltyDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var segment = SegmentService.Validated(new Segment
        {
            ProgramId = http.Program().Id, Name = r.Name?.Trim() ?? "", Description = r.Description, Definition = r.Definition!, CreatedAt = now, UpdatedAt = now,
        });
        db.Set<Segment>().Add(segment);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/programs/{segment.ProgramId}/segments/{segment.Id}", View(segment));
    }

    private static async Task<Ok<SegmentView>> GetAsync(HttpContext http, long segmentId, SegmentService segments, CancellationToken ct) =>
        TypedResults.Ok(View(await segments.GetAsync(http.Program().Id, segmentId, ct)));

    private static async Task<Ok<SegmentView>> UpdateAsync(HttpContext http, long segmentId, SegmentRequest r, LoyaltyDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var programId = http.Program().Id;
        var segment = await db.Set<Segment>().SingleOrDefaultAsync(s => s.Id == segmentId && s.ProgramId == programId, ct)
                      ?? throw new LoyaltyException("UNKNOWN_SEGMENT", "no such segment in this program", 404);
        var changed = SegmentService.Validated(new Segment { Name = r.Name?.Trim() ?? "", Description = r.Description, Definition = r.Definition! });
        (segment.Name, segment.Description, segment.Definition, segment.UpdatedAt) = (changed.Name, changed.Description, changed.Definition, time.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(segment));
    }

    /// <summary>Deleted only when nothing live names it: an active rule, reward or offer, or a drop still to run.</summary>
    private static async Task<NoContent> DeleteAsync(HttpContext http, long segmentId, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var segment = await db.Set<Segment>().SingleOrDefaultAsync(s => s.Id == segmentId && s.ProgramId == programId, ct)
                      ?? throw new LoyaltyException("UNKNOWN_SEGMENT", "no such segment in this program", 404);
        var rules = await db.Set<EarningRule>().AsNoTracking().Where(x => x.ProgramId == programId && x.Active).ToListAsync(ct);
        var drops = await db.Set<Collectibles.Drop>().AsNoTracking().Where(x => x.ProgramId == programId).Select(x => x.Audience).ToListAsync(ct);
        var used = SegmentService.ReferencedBy(rules).Contains(segmentId) || drops.Any(a => a.SegmentId == segmentId)
            || await db.Set<Redemption.Reward>().AnyAsync(x => x.ProgramId == programId && x.Active && x.SegmentId == segmentId, ct)
            || await db.Set<Offers.Offer>().AnyAsync(x => x.ProgramId == programId && x.Active && x.SegmentId == segmentId, ct);
        if (used) throw new LoyaltyException("SEGMENT_IN_USE", "an active rule, reward, offer or a drop uses this segment", 409);
        db.Remove(segment);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<CountView>> CountAsync(HttpContext http, long segmentId, SegmentService segments, CancellationToken ct)
    {
        var (count, at) = await segments.CountAsync(http.Program().Id, segmentId, ct);
        return TypedResults.Ok(new CountView(segmentId, count, at));
    }

    private static async Task<Ok<MembersPage>> MembersAsync(HttpContext http, long segmentId, int? limit, string? cursor, SegmentService segments,
        CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > SegmentService.MaxPage) throw new LoyaltyException("INVALID_LIMIT", $"limit must be 1-{SegmentService.MaxPage}");
        long after = 0;
        if (cursor is not null && !(long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after) && after > 0))
            throw new LoyaltyException("INVALID_CURSOR", "cursor must be a nextCursor from an earlier page");
        var rows = await segments.PageAsync(http.Program().Id, segmentId, after, take + 1, ct);
        var next = rows.Count > take ? rows[take - 1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new MembersPage(rows.Take(take).Select(x => new MemberRowView(x.ExternalId, x.Tier, x.Available.ToString(CultureInfo.InvariantCulture),
            x.LastPurchaseAt is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null)).ToList(), next));
    }

    /// <summary>Streams the CSV row by row from the query; cells a spreadsheet would run as a formula are prefixed with '.</summary>
    private static async Task ExportAsync(HttpContext http, long segmentId, SegmentService segments, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var segment = await segments.GetAsync(programId, segmentId, ct);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"segment-{segmentId}.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await writer.WriteAsync("memberId,tier,available,lastPurchaseAt\r\n");
        var n = 0;
        await foreach (var row in segments.StreamAsync(programId, segment, ct))
        {
            await writer.WriteAsync($"{Csv.Cell(row.ExternalId)},{Csv.Cell(row.Tier)},{row.Available.ToString(CultureInfo.InvariantCulture)}," +
                $"{(row.LastPurchaseAt is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "")}\r\n");
            if (++n % 500 == 0) await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
    }

    private static SegmentView View(Segment s) => new(s.Id, s.Name, s.Description, s.Definition, s.CreatedAt, s.UpdatedAt);
}

/// <summary>RFC 4180 cells, safe against CSV injection.</summary>
public static class Csv
{
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
