using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Collectibles;

/// <summary>
/// Turns a drop's audience into member ids: tier and points in SQL, profile attributes in memory (they are a
/// JSON column). Points earned are the member's Earn postings net of clawbacks, by posting time.
/// </summary>
public sealed class DropAudienceResolver(LoyaltyDbContext db, Segments.SegmentService segments)
{
    private const int ProfileChunk = 500;

    /// <summary>Members of the program (or of <paramref name="among"/>) that meet every criterion, by id.</summary>
    public async Task<List<long>> MatchingAsync(long programId, DropAudience audience, IReadOnlyCollection<long>? among, CancellationToken ct)
    {
        var members = db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId);
        if (among is not null) members = members.Where(m => among.Contains(m.Id));
        if (audience.Tiers is { Length: > 0 })
        {
            var tiers = audience.Tiers.Select(t => t.Trim().ToLowerInvariant()).ToList();
            members = members.Where(m => m.Tier != null && tiers.Contains(m.Tier.ToLower()));
        }
        // A segment audience (issue 13) is the segment's own SQL, composed into this query.
        if (audience.SegmentId is { } segmentId)
            members = Segments.SegmentFilter.Apply(db, members, await segments.CriteriaAsync(programId, segmentId, ct));
        var ids = await members.OrderBy(m => m.Id).Select(m => m.Id).ToListAsync(ct);

        if (audience.MinPointsEarned is > 0 and var min && ids.Count > 0)
        {
            var entries = db.Set<LedgerEntry>().AsNoTracking().Where(e => e.ProgramId == programId && e.MemberId != null
                && (e.Kind == EntryKind.Earn || e.Kind == EntryKind.Clawback)
                && (e.Account == LedgerAccount.Pending || e.Account == LedgerAccount.Available));
            if (audience.PointsFrom is { } from) entries = entries.Where(e => e.CreatedAt >= from.ToUniversalTime());
            if (audience.PointsTo is { } to) entries = entries.Where(e => e.CreatedAt < to.ToUniversalTime());
            if (among is not null) entries = entries.Where(e => among.Contains(e.MemberId!.Value));
            var earned = await entries.GroupBy(e => e.MemberId!.Value).Select(g => new { MemberId = g.Key, Sum = g.Sum(e => e.Amount) })
                .Where(x => x.Sum >= min).Select(x => x.MemberId).ToListAsync(ct);
            var qualifying = earned.ToHashSet();
            ids = ids.Where(qualifying.Contains).ToList();
        }

        if (audience.Attributes is { Count: > 0 } wanted && ids.Count > 0)
        {
            var kept = new List<long>(ids.Count);
            foreach (var chunk in ids.Chunk(ProfileChunk))
            {
                var profiles = await db.Set<MemberProfile>().AsNoTracking().Where(p => chunk.Contains(p.MemberId)).ToListAsync(ct);
                kept.AddRange(profiles.Where(p => wanted.All(w => p.Attributes.TryGetValue(w.Key, out var v)
                                                                  && string.Equals(v, w.Value, StringComparison.OrdinalIgnoreCase)))
                    .Select(p => p.MemberId));
            }
            ids = kept.Order().ToList();
        }
        return ids;
    }

    public async Task<bool> QualifiesAsync(long programId, DropAudience audience, long memberId, CancellationToken ct) =>
        (await MatchingAsync(programId, audience, [memberId], ct)).Count == 1;

    /// <summary>Maps the shop's customer ids to member ids; unknown ids are returned apart.</summary>
    public async Task<(List<long> Ids, List<string> Unknown)> ByExternalIdsAsync(long programId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct)
    {
        var distinct = externalIds.Distinct().ToList();
        var found = new Dictionary<string, long>();
        foreach (var chunk in distinct.Chunk(1000))
        {
            var rows = await db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId && chunk.Contains(m.ExternalId))
                .Select(m => new { m.ExternalId, m.Id }).ToListAsync(ct);
            foreach (var r in rows) found[r.ExternalId] = r.Id;
        }
        return (distinct.Where(found.ContainsKey).Select(e => found[e]).ToList(), distinct.Where(e => !found.ContainsKey(e)).ToList());
    }
}
