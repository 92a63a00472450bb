using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Redemption;

/// <summary>
/// Takes points out of a member's available balance without a reward: an admin's deduction, a return clawed back after
/// its window, an expiry. Never below zero: what the member does not have is reported as the shortfall. Per lot drawn:
/// points whose mint is still queued are cancelled before they reach the chain (the intent is cancelled and the rest
/// queued again); points already minted (or being minted) to the custodial wallet are reserved and burned with the
/// custodial signature in the burn batches (a <see cref="Redemption"/> of the matching kind); points minted to a
/// self-custody wallet are the member's and cannot be taken: they count as shortfall.
/// </summary>
/// <remarks>Runs inside the caller's write transaction, after the caller locked the member. Never calls the node.</remarks>
public sealed class PointRetirement(LoyaltyDbContext db, LedgerWriter ledger, MaturationService maturation, TimeProvider time)
{
    public sealed record Result(long Requested, long Retired, long CancelledBeforeMint, long Burning, long Shortfall, long? BurnId);

    /// <param name="reference">What the retirement is for, e.g. "adjustment:5" (its draws carry it).</param>
    /// <param name="take">Exactly these lots (expiry); otherwise soonest expiry first up to <paramref name="amount"/>.</param>
    public async Task<Result> RetireAsync(LoyaltyProgram program, long memberId, long amount, RedemptionKind kind, string reference,
        string note, CancellationToken ct, IReadOnlyList<LedgerWriter.LotTake>? take = null, long? preferLotId = null)
    {
        if (amount <= 0) return new Result(amount, 0, 0, 0, 0, null);
        var entryKind = KindOf(kind);
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == memberId, ct);
        var available = await db.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == memberId).Select(b => b.Available).SingleAsync(ct);
        var plan = take?.ToList() ?? await ledger.PlanDrawAsync(memberId, Math.Min(amount, available), ct, preferLotId,
            onlyUnminted: member.WalletKind != WalletKind.Custodial);
        var lotIds = plan.Select(t => t.LotId).ToList();
        var lots = await db.Set<PointLot>().AsNoTracking().Where(l => lotIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var intentIds = lots.Values.Where(l => l.MintIntentId != null).Select(l => l.MintIntentId!.Value).Distinct().ToList();
        var queued = await db.Set<MintIntent>().AsNoTracking().Where(i => intentIds.Contains(i.Id) && i.Status == IntentStatus.Queued)
            .ToDictionaryAsync(i => i.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;

        // Not minted yet: shrink the queued intents. Cancel-and-requeue (a new id) rather than an update of the amount, so a
        // settlement round that read the old intent fails its claim (WHERE Status = Queued) and backs off instead of minting it.
        var unminted = new List<LedgerWriter.LotTake>();
        foreach (var perIntent in plan.Where(t => lots[t.LotId].MintIntentId is { } id && queued.ContainsKey(id))
                     .GroupBy(t => lots[t.LotId].MintIntentId!.Value))
        {
            var intent = queued[perIntent.Key];
            var cut = perIntent.Sum(t => t.Amount);
            if (cut > intent.Amount) continue; // the intent carries less than its lots say (not expected): burn instead
            var cancelled = await db.Set<MintIntent>().Where(i => i.Id == intent.Id && i.Status == IntentStatus.Queued)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, IntentStatus.Cancelled), ct);
            if (cancelled == 0) continue; // claimed by settlement meanwhile: these points are being minted, so burn them
            long? next = null;
            if (intent.Amount > cut)
            {
                var rest = maturation.Queue(intent.ProgramId, intent.MemberId, intent.Address, intent.Amount - cut, intent.CreatedAt);
                await db.SaveChangesAsync(ct);
                next = rest.Id;
            }
            await db.Set<PointLot>().Where(l => l.MintIntentId == intent.Id).ExecuteUpdateAsync(u => u.SetProperty(l => l.MintIntentId, next), ct);
            unminted.AddRange(perIntent);
        }
        var cancelledSum = unminted.Sum(t => t.Amount);
        if (cancelledSum > 0)
            await ledger.PostAsync(program.Id, memberId, entryKind, LedgerAccount.Available, LedgerAccount.Issuance, cancelledSum,
                new LedgerWriter.Refs(Note: $"{note} (cancelled before minting)", Lot: reference, Take: unminted), ct);

        // Minted: a custodial wallet's points are burned with the service's signature; a self-custody wallet's are the member's.
        var minted = plan.Except(unminted).ToList();
        var mintedSum = minted.Sum(t => t.Amount);
        long burning = 0;
        long? burnId = null;
        if (mintedSum > 0 && member.WalletKind == WalletKind.Custodial)
        {
            var burn = new Redemption
            {
                ProgramId = program.Id, MemberId = memberId, RewardId = 0, Kind = kind, Cost = mintedSum, Owner = member.WalletAddress,
                SelfCustody = false, Status = RedemptionStatus.Reserved, CreatedAt = now, UpdatedAt = now,
            };
            db.Set<Redemption>().Add(burn);
            await db.SaveChangesAsync(ct);
            await ledger.PostAsync(program.Id, memberId, entryKind, LedgerAccount.Available, LedgerAccount.Reserved, mintedSum,
                new LedgerWriter.Refs(Note: $"{note} (burn {burn.Id})", Lot: $"redemption:{burn.Id}", Take: minted), ct);
            burning = mintedSum;
            burnId = burn.Id;
        }
        await db.SaveChangesAsync(ct);
        var retired = cancelledSum + burning;
        return new Result(amount, retired, cancelledSum, burning, amount - retired, burnId);
    }

    /// <summary>The ledger kind of a retirement's postings (and of its burn, once final).</summary>
    public static EntryKind KindOf(RedemptionKind kind) => kind switch
    {
        RedemptionKind.Deduction => EntryKind.Deduct,
        RedemptionKind.Clawback => EntryKind.Clawback,
        RedemptionKind.Expiry => EntryKind.Expire,
        _ => EntryKind.Redeem,
    };
}
