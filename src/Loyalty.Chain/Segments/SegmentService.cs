using System.Runtime.CompilerServices;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Segments;

/// <summary>One row of a segment's member list or export.</summary>
public sealed record SegmentMemberRow(long Id, string ExternalId, string? Tier, long Available, DateTime? LastPurchaseAt);

/// <summary>Saved segments and their membership, always computed in SQL against "now" and the program's zone.</summary>
public sealed class SegmentService(LoyaltyDbContext db, TimeProvider time)
{
    public const int MaxPage = 1000;

    public static Segment Validated(Segment segment)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(segment.Name) || segment.Name.Length > 200) errors.Add("name is required (at most 200 characters).");
        if (segment.Description is { Length: > 1000 }) errors.Add("description is at most 1000 characters.");
        if (segment.Definition is null) errors.Add("definition is required.");
        else errors.AddRange(segment.Definition.Validate());
        if (errors.Count > 0) throw new LoyaltyException("INVALID_SEGMENT", string.Join(" ", errors));
        return segment;
    }

    public async Task<Segment> GetAsync(long programId, long segmentId, CancellationToken ct) =>
        await db.Set<Segment>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == segmentId && s.ProgramId == programId, ct)
        ?? throw new LoyaltyException("UNKNOWN_SEGMENT", "no such segment in this program", 404);

    /// <summary>Refuses ids that are not segments of the program (for rules, rewards, drops and offers that name them).</summary>
    public async Task EnsureExistAsync(long programId, IReadOnlyCollection<long>? segmentIds, CancellationToken ct)
    {
        if (segmentIds is not { Count: > 0 }) return;
        var ids = segmentIds.Distinct().ToList();
        var found = await db.Set<Segment>().AsNoTracking().Where(s => s.ProgramId == programId && ids.Contains(s.Id)).Select(s => s.Id).ToListAsync(ct);
        var missing = ids.Except(found).ToList();
        if (missing.Count > 0) throw new LoyaltyException("UNKNOWN_SEGMENT", $"no segment {string.Join(", ", missing)} in this program", 422);
    }

    /// <summary>The segment's definition resolved for now, to compose into another member query.</summary>
    public async Task<SegmentCriteria> CriteriaAsync(long programId, long segmentId, CancellationToken ct) =>
        (await GetAsync(programId, segmentId, ct)).Definition.Resolve(time.GetUtcNow().UtcDateTime, await ZoneAsync(programId, ct));

    /// <summary>The program's members in <paramref name="segment"/>, as a query to compose (page, count, export).</summary>
    public async Task<IQueryable<Member>> MembersAsync(long programId, Segment segment, CancellationToken ct)
    {
        var zone = await ZoneAsync(programId, ct);
        var criteria = segment.Definition.Resolve(time.GetUtcNow().UtcDateTime, zone);
        return SegmentFilter.Apply(db, db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId), criteria);
    }

    public async Task<(long Count, DateTime ComputedAt)> CountAsync(long programId, long segmentId, CancellationToken ct)
    {
        var segment = await GetAsync(programId, segmentId, ct);
        var computedAt = time.GetUtcNow().UtcDateTime;
        return (await (await MembersAsync(programId, segment, ct)).LongCountAsync(ct), computedAt);
    }

    /// <summary>Members after <paramref name="afterId"/> by member id; the last row's id is the next cursor.</summary>
    public async Task<List<SegmentMemberRow>> PageAsync(long programId, long segmentId, long afterId, int limit, CancellationToken ct)
    {
        var segment = await GetAsync(programId, segmentId, ct);
        return await Rows(await MembersAsync(programId, segment, ct), afterId).Take(limit).ToListAsync(ct);
    }

    /// <summary>Every member of the segment, streamed in member-id order (never all in memory).</summary>
    public async IAsyncEnumerable<SegmentMemberRow> StreamAsync(long programId, Segment segment, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var row in Rows(await MembersAsync(programId, segment, ct), 0).AsAsyncEnumerable().WithCancellation(ct)) yield return row;
    }

    /// <summary>The subset of <paramref name="memberIds"/> in the segment (one query).</summary>
    public async Task<HashSet<long>> ContainsAsync(long programId, long segmentId, IReadOnlyCollection<long> memberIds, CancellationToken ct)
    {
        var segment = await GetAsync(programId, segmentId, ct);
        return await ContainsAsync(programId, segment, memberIds, await ZoneAsync(programId, ct), ct);
    }

    private async Task<HashSet<long>> ContainsAsync(long programId, Segment segment, IReadOnlyCollection<long> memberIds, TimeZoneInfo zone,
        CancellationToken ct)
    {
        if (memberIds.Count == 0) return [];
        var ids = memberIds.Distinct().ToList();
        var criteria = segment.Definition.Resolve(time.GetUtcNow().UtcDateTime, zone);
        var members = db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId && ids.Contains(m.Id));
        return (await SegmentFilter.Apply(db, members, criteria).Select(m => m.Id).ToListAsync(ct)).ToHashSet();
    }

    /// <summary>
    /// For each of <paramref name="memberIds"/>, which of <paramref name="segmentIds"/> it is in: one query per segment
    /// (segments unknown to the program match nobody). Used once per intake batch.
    /// </summary>
    public async Task<Dictionary<long, HashSet<long>>> MembershipsAsync(LoyaltyProgram program, IReadOnlyCollection<long> segmentIds,
        IReadOnlyCollection<long> memberIds, CancellationToken ct)
    {
        var result = new Dictionary<long, HashSet<long>>();
        if (segmentIds.Count == 0 || memberIds.Count == 0) return result;
        var ids = segmentIds.Distinct().ToList();
        var segments = await db.Set<Segment>().AsNoTracking().Where(s => s.ProgramId == program.Id && ids.Contains(s.Id)).ToListAsync(ct);
        foreach (var segment in segments)
            foreach (var memberId in await ContainsAsync(program.Id, segment, memberIds, program.Zone, ct))
            {
                if (!result.TryGetValue(memberId, out var set)) result[memberId] = set = [];
                set.Add(segment.Id);
            }
        return result;
    }

    /// <summary>Segment ids the rules' conditions name (none for programs that use no segment in a rule).</summary>
    public static List<long> ReferencedBy(IEnumerable<EarningRule> rules) =>
        rules.SelectMany(r => r.Conditions?.Segments ?? []).Distinct().ToList();

    private IQueryable<SegmentMemberRow> Rows(IQueryable<Member> members, long afterId) =>
        from m in members.Where(m => m.Id > afterId).OrderBy(m => m.Id)
        select new SegmentMemberRow(m.Id, m.ExternalId, m.Tier,
            db.Set<MemberBalance>().Where(b => b.MemberId == m.Id).Select(b => b.Available).FirstOrDefault(),
            db.Set<LoyaltyEvent>().Where(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id && e.Type == SegmentFilter.Purchase).Max(e => (DateTime?)e.OccurredAt));

    private async Task<TimeZoneInfo> ZoneAsync(long programId, CancellationToken ct)
    {
        var zone = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Id == programId).Select(p => p.TimeZone).SingleAsync(ct);
        return TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var z) ? z : TimeZoneInfo.Utc;
    }
}
