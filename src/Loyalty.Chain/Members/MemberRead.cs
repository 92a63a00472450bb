using Loyalty.Chain.Ledger;
using Loyalty.Chain.Tiers;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Members;

/// <summary>What GET member shows about one member, as read in one statement.</summary>
public sealed record MemberSnapshot(Member Member, MemberBalance Balance, MemberTierState? TierState, TierPolicy? TierPolicy,
    IReadOnlyList<TierBucket> Buckets);

/// <summary>
/// The read a till or an app makes most (GET member, issue 16). The member, its balance, its tier state, the program's
/// tier policy and the member's tier buckets come in ONE statement (primary-key and unique-index joins, the buckets as
/// the joined rows); lots expiring soon and pending lots add one statement each only when the program expires points and
/// the member has pending points. It writes nothing and takes no gate: SQLite's WAL readers never wait for the writer.
/// Before, the same answer took eight statements (the member twice).
/// </summary>
public static class MemberRead
{
    private sealed record Row(Member Member, MemberBalance Balance, MemberTierState? TierState, TierPolicy? TierPolicy, List<TierBucket> Buckets);

    /// <summary>Null when the program has no such member.</summary>
    public static async Task<MemberSnapshot?> LoadAsync(LoyaltyDbContext db, long programId, string externalId, CancellationToken ct)
    {
        var row = await (from m in db.Set<Member>()
                         where m.ProgramId == programId && m.ExternalId == externalId
                         join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                         join s in db.Set<MemberTierState>() on m.Id equals s.MemberId into states
                         from s in states.DefaultIfEmpty()
                         join p in db.Set<TierPolicy>() on m.ProgramId equals p.ProgramId into policies
                         from p in policies.DefaultIfEmpty()
                         select new Row(m, b, s, p, db.Set<TierBucket>().Where(x => x.MemberId == m.Id).ToList()))
            .AsNoTracking().SingleOrDefaultAsync(ct);
        return row is null ? null : new MemberSnapshot(row.Member, row.Balance, row.TierState, row.TierPolicy, row.Buckets);
    }
}
