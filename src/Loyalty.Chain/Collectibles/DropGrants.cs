using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Collectibles;

public sealed record AirdropResult(int Planned, int Added, int AlreadyPlanned, IReadOnlyList<string> UnknownMembers);

/// <summary>
/// Plans mints: airdrops (the audience resolved into rows), single grants (catalog rewards, badges, open
/// claims). A plan is a <see cref="DropMint"/> row; the unique (drop, member, sequence) index makes "each
/// member at most once" hold even between service instances. <see cref="DropProcessor"/> mints them.
/// </summary>
public sealed class DropGrants(LoyaltyDbContext db, DropAudienceResolver audience, TimeProvider time, ILogger<DropGrants> logger)
{
    public const string AirdropSource = "airdrop";
    public const string RewardSource = "reward";
    public const string BadgeSource = "badge";
    public const string ClaimSource = "claim";
    public const int MaxExplicitMembers = 10_000;

    /// <summary>
    /// Queues one mint of <paramref name="dropId"/> for the member in the caller's database transaction (the
    /// context is saved, not committed) and returns the mint's id. Idempotent per (drop, member) unless the
    /// drop allows several per member: then every call queues one more. Refuses with DROP_SOLD_OUT when every
    /// token is already planned, DROP_CLOSED after the window, UNKNOWN_DROP / UNKNOWN_MEMBER.
    /// A concurrent grant of the same single drop to the same member fails on the unique index (DbUpdateException).
    /// </summary>
    public async Task<long> GrantAsync(long programId, long dropId, long memberId, string reason, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        var (mint, refusal) = await TryQueueAsync(drop, memberId, RewardSource, reason, ct);
        return mint?.Id ?? throw refusal!;
    }

    /// <summary>An open claim by a custodial member who meets the drop's criteria: one queued mint to their wallet.</summary>
    public async Task<DropMint> ClaimAsync(long programId, long dropId, Member member, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        if (drop.Audience.Kind == DropAudienceKind.Explicit)
            throw new LoyaltyException("DROP_NOT_CLAIMABLE", "this drop goes to an explicit member list; it cannot be claimed", 409);
        if (!await audience.QualifiesAsync(programId, drop.Audience, member.Id, ct))
            throw new LoyaltyException("MEMBER_NOT_ELIGIBLE", "the member does not meet this drop's criteria", 403);
        // One claim per member even where grants may repeat: claiming again answers with the first claim.
        if (await db.Set<DropMint>().AsNoTracking().FirstOrDefaultAsync(m => m.DropId == dropId && m.MemberId == member.Id
                                                                             && m.Source == ClaimSource, ct) is { } claimed)
            return claimed;
        var (mint, refusal) = await TryQueueAsync(drop, member.Id, ClaimSource, null, ct);
        return mint ?? throw refusal!;
    }

    /// <summary>
    /// Resolves the audience (the given members for an Explicit drop, every matching member for a Rule drop) into
    /// queued mints. Idempotent: a member who already has a mint or a voucher of the drop is not planned again.
    /// More members than supply may be planned; those left over are reported as not minted (SOLD_OUT).
    /// </summary>
    public async Task<AirdropResult> AirdropAsync(long programId, long dropId, IReadOnlyList<string>? memberIds, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        if (Refusal(drop) is { } closed) throw closed;
        List<long> candidates;
        List<string> unknown = [];
        switch (drop.Audience.Kind)
        {
            case DropAudienceKind.OpenClaim:
                throw new LoyaltyException("AUDIENCE_IS_OPEN_CLAIM", "an open-claim drop is claimed by members, not airdropped", 409);
            case DropAudienceKind.Explicit:
                if (memberIds is not { Count: > 0 and <= MaxExplicitMembers })
                    throw new LoyaltyException("MEMBER_LIST_REQUIRED", $"an explicit drop needs memberIds (1..{MaxExplicitMembers} per call)");
                foreach (var id in memberIds) MemberService.ValidateExternalId(id, "memberIds");
                (candidates, unknown) = await audience.ByExternalIdsAsync(programId, memberIds, ct);
                break;
            default:
                candidates = await audience.MatchingAsync(programId, drop.Audience, null, ct);
                break;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var added = await db.InWriteTransactionAsync(async ct =>
                {
                    var planned = (await db.Set<DropMint>().Where(m => m.DropId == dropId).Select(m => m.MemberId).Distinct().ToListAsync(ct))
                        .Concat(await db.Set<DropVoucher>().Where(v => v.DropId == dropId).Select(v => v.MemberId).ToListAsync(ct)).ToHashSet();
                    var now = time.GetUtcNow().UtcDateTime;
                    var added = candidates.Where(id => !planned.Contains(id)).Select(id => new DropMint
                    {
                        ProgramId = programId, DropId = dropId, MemberId = id, Sequence = 0, Source = AirdropSource,
                        Status = DropMintStatus.Queued, CreatedAt = now,
                    }).ToList();
                    db.Set<DropMint>().AddRange(added);
                    await db.SaveChangesAsync(ct);
                    return added;
                }, ct);
                var total = await db.Set<DropMint>().CountAsync(m => m.DropId == dropId, ct);
                logger.LogInformation("Drop {DropId}: airdrop planned {Added} mints ({Skipped} already planned)", dropId, added.Count,
                    candidates.Count - added.Count);
                return new AirdropResult(total, added.Count, candidates.Count - added.Count, unknown);
            }
            catch (DbUpdateException) when (attempt < 2)
            {
                // A concurrent airdrop or grant planned some of these members first: plan the rest.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Queues a mint unless the drop refuses it; never throws for a refusal (the badge hook must not fail intake).</summary>
    internal async Task<(DropMint? Mint, LoyaltyException? Refusal)> TryQueueAsync(Drop drop, long memberId, string source, string? reason,
        CancellationToken ct)
    {
        if (Refusal(drop) is { } closed) return (null, closed);
        if (!await db.Set<Member>().AnyAsync(m => m.Id == memberId && m.ProgramId == drop.ProgramId, ct))
            return (null, new LoyaltyException("UNKNOWN_MEMBER", $"no member {memberId} in this program", 404));
        var existing = await db.Set<DropMint>().Where(m => m.DropId == drop.Id && m.MemberId == memberId).OrderBy(m => m.Sequence).ToListAsync(ct);
        if (!drop.AllowMultiplePerMember)
        {
            if (existing.Count > 0) return (existing[0], null);
            if (await db.Set<DropVoucher>().AnyAsync(v => v.DropId == drop.Id && v.MemberId == memberId, ct))
                return (null, new LoyaltyException("DROP_ALREADY_CLAIMABLE", "the member already holds a claim voucher for this drop", 409));
        }
        var planned = await db.Set<DropMint>().CountAsync(m => m.DropId == drop.Id && m.Status != DropMintStatus.Failed, ct);
        if (planned >= drop.MaxSupply)
            return (null, new LoyaltyException("DROP_SOLD_OUT", "every token of this drop is already planned or minted", 409));
        var mint = new DropMint
        {
            ProgramId = drop.ProgramId, DropId = drop.Id, MemberId = memberId,
            Sequence = existing.Count == 0 ? 0 : existing[^1].Sequence + 1,
            Source = source, Reason = reason?.Length > 200 ? reason[..200] : reason,
            Status = DropMintStatus.Queued, CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Set<DropMint>().Add(mint);
        await db.SaveChangesAsync(ct);
        return (mint, null);
    }

    private LoyaltyException? Refusal(Drop drop) => drop.Status switch
    {
        DropStatus.SoldOut => new LoyaltyException("DROP_SOLD_OUT", "this drop is sold out", 409),
        DropStatus.Closed => new LoyaltyException("DROP_CLOSED", "this drop's mint window has ended", 409),
        _ when drop.EndsAt <= time.GetUtcNow().UtcDateTime => new LoyaltyException("DROP_CLOSED", "this drop's mint window has ended", 409),
        _ => null,
    };
}
