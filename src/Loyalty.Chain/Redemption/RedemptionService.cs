using System.Numerics;
using System.Security.Cryptography;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Redemption;

/// <summary>
/// Redemptions: points are reserved in the ledger and the reward issued in ONE database transaction, under
/// the member's lock, so two concurrent redemptions that together exceed the balance cannot both pass. The
/// burn follows on chain, batched (<see cref="BurnSettlement"/>), with the holder's signature: the service
/// signs for custodial wallets, self-custody members sign the EIP-712 Burn in their own wallet.
/// </summary>
public sealed class RedemptionService(
    LoyaltyDbContext db, LedgerWriter ledger, MaturationService maturation, Collectibles.DropGrants drops,
    Web3Factory web3, TimeProvider time, IdempotencyStore idempotencies,
    Segments.SegmentService segments, Offers.OfferService offers, GroupCommit groupCommit)
{
    public static readonly TimeSpan SignatureLifetime = TimeSpan.FromDays(2);

    /// <summary>The idempotency scope of redemptions: the record is written in the redemption's own transaction.</summary>
    public const string IdempotencyScope = "redemptions";

    /// <summary>
    /// Reserves and issues in the next group transaction (<see cref="GroupCommit"/>, issue 16): concurrent redemptions share
    /// one commit instead of one transaction under the write gate each. Checks, reservation, stock and idempotency record
    /// are what they were, each redemption in its own savepoint, seeing what the ones before it in the batch wrote; the
    /// answer comes once the transaction holding it committed.
    /// </summary>
    public async Task<(Redemption Redemption, bool Replayed)> RedeemAsync(LoyaltyProgram program, Member member, long rewardId,
        IdempotencyRequest? idempotency, CancellationToken ct)
    {
        // The node is read before the write transaction: a slow node must not hold the SQLite gate (every writer) or row locks.
        BigInteger? held = member.WalletKind == WalletKind.SelfCustody
            ? await new LoyaltyPointsService(web3.Get(), program.PointsContract!).BalanceOfQueryAsync(member.WalletAddress)
            : null;
        try
        {
            return await groupCommit.RunAsync((services, c) => services.GetRequiredService<RedemptionService>()
                .RedeemInTransactionAsync(program, member, rewardId, held, idempotency, c), ct);
        }
        catch (DbUpdateException) when (idempotency is not null)
        {
            // A concurrent request with the same key committed first (unique index): answer as its replay.
            db.ChangeTracker.Clear();
            var record = await idempotencies.FindAsync(idempotency, ct);
            if (record is null) throw;
            return (await ReplayAsync(record, idempotency, ct), true);
        }
    }

    /// <summary>One redemption inside the caller's write transaction (the group's savepoint), on this service's context.</summary>
    private async Task<(Redemption Redemption, bool Replayed)> RedeemInTransactionAsync(LoyaltyProgram program, Member member, long rewardId,
        BigInteger? held, IdempotencyRequest? idempotency, CancellationToken c)
    {
        if (idempotency is not null && await idempotencies.FindAsync(idempotency, c) is { } record)
            return (await ReplayAsync(record, idempotency, c), true);
        await ledger.LockMemberAsync(member.Id, c);
        // Under the lock: the wallet the chain was read for must still be the member's.
        var wallet = await db.Set<Member>().AsNoTracking().Where(m => m.Id == member.Id)
            .Select(m => new { m.WalletKind, m.WalletAddress, m.BlockedAt, m.BlockedReason }).SingleAsync(c);
        await ProgramPause.EnsureNotPausedAsync(db, program.Id, c);
        await Sunset.SunsetService.EnsureRedeemableAsync(db, program.Id, time.GetUtcNow().UtcDateTime, c);
        MemberBlocks.EnsureNotBlocked(wallet.BlockedAt, wallet.BlockedReason);
        if (wallet.WalletKind != member.WalletKind || wallet.WalletAddress != member.WalletAddress)
            throw new LoyaltyException("MEMBER_CHANGED", "the member's wallet changed meanwhile; try again", 409);
        var redemption = await ReserveAsync(program, member, rewardId, held, c);
        // The redemption's id: a replay shows the redemption as it is now.
        if (idempotency is not null) idempotencies.Stage(idempotency, 201, redemption.Id.ToString());
        await db.SaveChangesAsync(c);
        return (redemption, false);
    }

    private async Task<Redemption> ReplayAsync(IdempotencyRecord record, IdempotencyRequest idempotency, CancellationToken ct)
    {
        IdempotencyStore.EnsureSameRequest(record, idempotency.Hash);
        return await db.Set<Redemption>().AsNoTracking().SingleAsync(r => r.Id == long.Parse(record.ResponseBody), ct);
    }

    /// <summary>Checks and reserves inside the write transaction, under the member's lock.</summary>
    private async Task<Redemption> ReserveAsync(LoyaltyProgram program, Member member, long rewardId, BigInteger? held, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var reward = await db.Set<Reward>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == rewardId && r.ProgramId == program.Id, ct)
                     ?? throw new LoyaltyException("UNKNOWN_REWARD", "no such reward in this program", 404);
        await CheckEligibleAsync(reward, member, now, ct);
        // Personal offers (issue 13): the lowest live offer cost for this member replaces the regular cost.
        var offer = await offers.BestPriceAsync(program, reward, member.Id, now, ct);
        var cost = offer?.Cost ?? reward.Cost;
        var balance = await db.Set<MemberBalance>().AsNoTracking().SingleAsync(b => b.MemberId == member.Id, ct);
        if (balance.Available < cost)
            throw new LoyaltyException("INSUFFICIENT_POINTS", $"{cost} points needed, {balance.Available} available", 409);
        if (held is { } onChain)
        {
            // The member's own wallet is theirs to spend elsewhere: what counts is what it holds, less this program's pending burns.
            var pledged = await PendingBurns(program.Id, member.WalletAddress).SumAsync(r => r.Cost, ct);
            if (onChain - pledged < cost)
                throw new LoyaltyException("INSUFFICIENT_POINTS", $"{cost} points needed, the wallet holds {onChain - pledged} not yet pledged", 409);
        }
        var taken = await db.Set<Reward>().Where(r => r.Id == reward.Id && (r.Stock == null || r.Issued < r.Stock))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Issued, r => r.Issued + 1), ct);
        if (taken == 0) throw new LoyaltyException("OUT_OF_STOCK", "this reward is out of stock", 409);
        if (reward.Stock is { } stock && stock - (reward.Issued + 1) is var remaining && remaining <= Math.Max(1, stock / 10))
            Webhooks.WebhookOutbox.Enqueue(db, program.Id, "reward.stock_low", null, new { programId = program.Id, rewardId = reward.Id, remaining, stock });

        var redemption = new Redemption
        {
            ProgramId = program.Id, MemberId = member.Id, RewardId = reward.Id, Cost = cost, OfferId = offer?.Id, Owner = member.WalletAddress,
            SelfCustody = member.WalletKind == WalletKind.SelfCustody,
            Status = member.WalletKind == WalletKind.SelfCustody ? RedemptionStatus.AwaitingSignature : RedemptionStatus.Reserved,
            CreatedAt = now, UpdatedAt = now,
        };
        db.Set<Redemption>().Add(redemption);
        await db.SaveChangesAsync(ct);
        Webhooks.PointsEvents.ForMember(db, program.Id, member.Id, "redemption.created", m => new
        {
            programId = program.Id, memberId = m, redemptionId = redemption.Id, rewardId = reward.Id, points = cost.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await ledger.PostAsync(program.Id, member.Id, EntryKind.Reserve, LedgerAccount.Available, LedgerAccount.Reserved, cost,
            new LedgerWriter.Refs(Note: $"redemption {redemption.Id}: {reward.Name}", Lot: $"redemption:{redemption.Id}"), ct);
        // Custodial: the service signs the burn, so the reward goes out now. Self-custody: only once the member's
        // signed burn has landed (BurnSettlement), or a member could take the reward and never sign.
        if (!redemption.SelfCustody) await IssueRewardAsync(reward, redemption, now, ct);
        return redemption;
    }

    /// <summary>Burns of one wallet still to come in ONE program: nonces and balances are per points contract.</summary>
    private IQueryable<Redemption> PendingBurns(long programId, string owner, long except = 0) =>
        db.Set<Redemption>().Where(r => r.ProgramId == programId && r.Owner == owner && r.Id != except
            && (r.Status == RedemptionStatus.Reserved || r.Status == RedemptionStatus.AwaitingSignature || r.Status == RedemptionStatus.Burning));

    /// <summary>The EIP-712 Burn a self-custody member signs (nonce after any of their burns still pending).</summary>
    public async Task<BurnMessage> BurnToSignAsync(LoyaltyProgram program, Redemption redemption, CancellationToken ct)
    {
        if (redemption is { BurnNonce: { } n, BurnDeadline: { } d })
            return new BurnMessage { Owner = redemption.Owner, Value = redemption.Cost, Nonce = n, Deadline = d };
        var points = new LoyaltyPointsService(web3.Get(), program.PointsContract!);
        var chainNonce = (long)await points.NoncesQueryAsync(redemption.Owner);
        var pending = await PendingBurns(program.Id, redemption.Owner, redemption.Id).CountAsync(r => r.BurnNonce != null, ct);
        redemption.BurnNonce = chainNonce + pending;
        redemption.BurnDeadline = time.GetUtcNow().Add(SignatureLifetime).ToUnixTimeSeconds();
        await db.Set<Redemption>().Where(r => r.Id == redemption.Id).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.BurnNonce, redemption.BurnNonce).SetProperty(r => r.BurnDeadline, redemption.BurnDeadline), ct);
        return new BurnMessage { Owner = redemption.Owner, Value = redemption.Cost, Nonce = redemption.BurnNonce.Value, Deadline = redemption.BurnDeadline.Value };
    }

    /// <summary>Accepts a self-custody member's Burn signature after checking it recovers to their wallet.</summary>
    public async Task<Redemption> SubmitSignatureAsync(LoyaltyProgram program, Redemption redemption, string signatureHex, CancellationToken ct)
    {
        if (redemption.Status != RedemptionStatus.AwaitingSignature)
            throw new LoyaltyException("NOT_AWAITING_SIGNATURE", $"the redemption is {redemption.Status}", 409);
        var message = await BurnToSignAsync(program, redemption, ct);
        byte[] signature;
        try { signature = Convert.FromHexString(signatureHex.StartsWith("0x") ? signatureHex[2..] : signatureHex); }
        catch (FormatException) { throw new LoyaltyException("INVALID_SIGNATURE", "signature must be 65 bytes of hex"); }
        if (signature.Length != 65) throw new LoyaltyException("INVALID_SIGNATURE", "signature must be 65 bytes of hex");
        string signer;
        try { signer = LoyaltyTypedData.Recover(message, program.PointName, web3.Options.ChainId, program.PointsContract!, signature); }
        catch (Exception) { throw new LoyaltyException("INVALID_SIGNATURE", "the signature could not be recovered"); }
        if (!string.Equals(signer, redemption.Owner, StringComparison.OrdinalIgnoreCase))
            throw new LoyaltyException("INVALID_SIGNATURE", "the signature is not from the member's wallet", 401);
        var changed = await db.Set<Redemption>().Where(r => r.Id == redemption.Id && r.Status == RedemptionStatus.AwaitingSignature)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.BurnSignature, "0x" + Convert.ToHexString(signature).ToLowerInvariant())
                .SetProperty(r => r.Status, RedemptionStatus.Reserved).SetProperty(r => r.UpdatedAt, time.GetUtcNow().UtcDateTime), ct);
        if (changed == 0) throw new LoyaltyException("NOT_AWAITING_SIGNATURE", "the redemption changed meanwhile", 409);
        return await db.Set<Redemption>().AsNoTracking().SingleAsync(r => r.Id == redemption.Id, ct);
    }

    /// <summary>
    /// Before the burn and before anything was handed out: releases the reservation and the stock (Cancelled). Once a
    /// code was shown or a collectible granted, only an admin may undo it: before the burn the reservation is released
    /// (Voided), after it the points are minted back (Refunded); either way the code is marked void and the stock stays
    /// taken. Every move is a conditional update on the status read, so a burn batch that claimed the row meanwhile
    /// wins and this refuses. Idempotent: undoing an undone redemption returns it unchanged.
    /// </summary>
    public Task<Redemption> CancelAsync(LoyaltyProgram program, long redemptionId, bool byAdmin, CancellationToken ct) =>
        db.InWriteTransactionAsync(async c =>
        {
            var r = await db.Set<Redemption>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == redemptionId && x.ProgramId == program.Id
                        && x.Kind == RedemptionKind.Reward, c)
                    ?? throw new LoyaltyException("UNKNOWN_REDEMPTION", "no such redemption", 404);
            await ledger.LockMemberAsync(r.MemberId, c);
            var issued = await IsIssuedAsync(r, c);
            // A code used at the till bought the goods: nobody, not even an admin, gets those points back.
            if (r.Status is RedemptionStatus.Reserved or RedemptionStatus.AwaitingSignature or RedemptionStatus.Completed
                && await db.Set<CouponCode>().Where(x => x.RedemptionId == r.Id && x.UsedAt != null).Select(x => x.UsedAt).FirstOrDefaultAsync(c) is { } usedAt)
                throw new LoyaltyException("COUPON_USED", $"the code was used at the till at {usedAt:yyyy-MM-ddTHH:mm:ssZ}; the points cannot come back", 409);
            switch (r.Status)
            {
                case RedemptionStatus.Cancelled or RedemptionStatus.Refunded or RedemptionStatus.Voided or RedemptionStatus.Failed:
                    return r;
                case RedemptionStatus.Burning:
                    throw new LoyaltyException("BURN_IN_PROGRESS", "the burn is on its way; try again once it completed", 409);
                case RedemptionStatus.Reserved or RedemptionStatus.AwaitingSignature when issued && !byAdmin:
                    throw new LoyaltyException("REWARD_ISSUED", "the reward was handed out (a code shown or a collectible granted); only a program admin can void it", 409);
                case RedemptionStatus.Reserved or RedemptionStatus.AwaitingSignature:
                    await MoveAsync(db, r, issued ? RedemptionStatus.Voided : RedemptionStatus.Cancelled, issued, time, c);
                    await ledger.PostAsync(program.Id, r.MemberId, EntryKind.Release, LedgerAccount.Reserved, LedgerAccount.Available, r.Cost,
                        new LedgerWriter.Refs(Note: $"redemption {r.Id} {(issued ? "voided" : "cancelled")}", Lot: $"redemption:{r.Id}"), c);
                    // A code someone has seen is never handed to another member: stock comes back only when nothing went out.
                    if (!issued) await db.Set<Reward>().Where(x => x.Id == r.RewardId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Issued, x => x.Issued - 1), c);
                    break;
                case RedemptionStatus.Completed when !byAdmin:
                    throw new LoyaltyException("REFUND_REQUIRES_ADMIN", "the points were burned; only a program admin can refund", 403);
                case RedemptionStatus.Completed:
                    await MoveAsync(db, r, RedemptionStatus.Refunded, issued, time, c);
                    // The points were burned: mint them back (a new posting; the burn stays in the history).
                    var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == r.MemberId, c);
                    var intent = maturation.Queue(program.Id, member.Id, member.WalletAddress, r.Cost, time.GetUtcNow().UtcDateTime);
                    await db.SaveChangesAsync(c);
                    await ledger.PostAsync(program.Id, r.MemberId, EntryKind.Adjustment, LedgerAccount.Issuance, LedgerAccount.Available, r.Cost,
                        new LedgerWriter.Refs(MintIntentId: intent.Id, Note: $"refund of redemption {r.Id}"), c);
                    break;
            }
            await db.SaveChangesAsync(c); // the postings' entries
            return await db.Set<Redemption>().AsNoTracking().SingleAsync(x => x.Id == r.Id, c);
        }, ct);

    /// <summary>Rows from before <see cref="Redemption.IssuedAt"/> existed count as issued when they carry a code or a custodial collectible.</summary>
    private async Task<bool> IsIssuedAsync(Redemption r, CancellationToken ct) =>
        r.IssuedAt is not null || r.CouponCode is not null
        || (!r.SelfCustody && await db.Set<Reward>().AnyAsync(x => x.Id == r.RewardId && x.Type == RewardType.Collectible, ct));

    /// <summary>
    /// Moves a redemption from the status it was read in (UPDATE ... WHERE Status = seen); a concurrent move (the burn
    /// batch's claim, its completion, another cancel) makes it miss, and the caller's transaction is refused whole.
    /// A void also marks the redemption's coupon code void.
    /// </summary>
    internal static async Task MoveAsync(LoyaltyDbContext db, Redemption seen, RedemptionStatus to, bool voidReward, TimeProvider time,
        CancellationToken ct, string? failureCode = null, string? txHash = null)
    {
        var (id, from, now) = (seen.Id, seen.Status, time.GetUtcNow().UtcDateTime);
        DateTime? voidedAt = voidReward ? now : null;
        var moved = await db.Set<Redemption>().Where(r => r.Id == id && r.Status == from)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, to).SetProperty(r => r.UpdatedAt, now)
                .SetProperty(r => r.VoidedAt, r => voidedAt ?? r.VoidedAt).SetProperty(r => r.FailureCode, r => failureCode ?? r.FailureCode), ct);
        if (moved == 0) throw new LoyaltyException("REDEMPTION_CHANGED", $"the redemption is no longer {from}; read it again", 409);
        if (seen.Kind == RedemptionKind.Reward && to is not (RedemptionStatus.Reserved or RedemptionStatus.AwaitingSignature or RedemptionStatus.Burning))
        {
            var type = to == RedemptionStatus.Completed ? "redemption.completed" : "redemption.cancelled";
            Webhooks.PointsEvents.ForMember(db, seen.ProgramId, seen.MemberId, type, m => new
            {
                programId = seen.ProgramId, memberId = m, redemptionId = id, rewardId = seen.RewardId, points = seen.Cost.ToString(System.Globalization.CultureInfo.InvariantCulture),
                status = to.ToString().ToLowerInvariant(), txHash,
            });
        }
        if (voidReward)
            await db.Set<CouponCode>().Where(x => x.RedemptionId == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.VoidedAt, now), ct);
    }

    private async Task CheckEligibleAsync(Reward reward, Member member, DateTime now, CancellationToken ct)
    {
        if (!reward.Active || (reward.ValidFrom is { } from && now < from) || (reward.ValidUntil is { } until && now >= until))
            throw new LoyaltyException("REWARD_NOT_AVAILABLE", "this reward is not available now", 409);
        if (reward.Tiers.Length > 0 && !reward.Tiers.Contains(member.Tier ?? "", StringComparer.OrdinalIgnoreCase))
            throw new LoyaltyException("NOT_ELIGIBLE", "this reward is for other tiers", 403);
        if (reward.SegmentId is { } segmentId && !(await segments.ContainsAsync(reward.ProgramId, segmentId, [member.Id], ct)).Contains(member.Id))
            throw new LoyaltyException("NOT_IN_SEGMENT", "this reward is for members of another segment", 403);
        if (reward.Attributes.Keys.Any(k => k != Reward.CategoryAttribute))
        {
            var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
            if (reward.Attributes.FirstOrDefault(a => a.Key != Reward.CategoryAttribute && !Matches(profile, a)) is { Key: not null } missing)
                throw new LoyaltyException("NOT_ELIGIBLE", $"this reward requires {missing.Key} = {missing.Value}", 403);
        }
        // Donations (issue 13): a cause that stopped taking donations takes none through its rewards either.
        if (reward.CauseId is { } causeId && !await db.Set<Donations.Cause>().AnyAsync(c => c.Id == causeId && c.Active, ct))
            throw new LoyaltyException("REWARD_NOT_AVAILABLE", "this reward's cause no longer takes donations", 409);
        if (reward.PerMemberLimit is { } limit)
        {
            var used = await db.Set<Redemption>().CountAsync(r => r.MemberId == member.Id && r.RewardId == reward.Id
                && r.Status != RedemptionStatus.Cancelled && r.Status != RedemptionStatus.Failed, ct);
            if (used >= limit) throw new LoyaltyException("LIMIT_REACHED", $"at most {limit} per member", 409);
        }
    }

    /// <summary>
    /// Whether the member's profile has every attribute the reward requires (case-insensitive values). The category
    /// attribute describes the reward (recommendations) and is not a condition.
    /// </summary>
    public static bool AttributesMatch(Reward reward, MemberProfile? profile) =>
        reward.Attributes.Where(a => a.Key != Reward.CategoryAttribute).All(a => Matches(profile, a));

    private static bool Matches(MemberProfile? profile, KeyValuePair<string, string> a) =>
        profile is not null && profile.Attributes.TryGetValue(a.Key, out var actual) && string.Equals(actual, a.Value, StringComparison.OrdinalIgnoreCase);

    /// <summary>Hands out the reward (coupon code, collectible mint) in the caller's transaction.</summary>
    internal async Task IssueRewardAsync(Reward reward, Redemption redemption, DateTime now, CancellationToken ct)
    {
        redemption.CouponCode = await IssueCouponAsync(reward, redemption, now, ct);
        // A collectible reward mints the token in the same transaction (outbox).
        if (reward is { Type: RewardType.Collectible, DropId: { } dropId })
            await drops.GrantAsync(redemption.ProgramId, dropId, redemption.MemberId, $"redemption {redemption.Id}", ct);
        if (redemption.CouponCode is not null || reward.Type == RewardType.Collectible) redemption.IssuedAt = now;
    }

    private async Task<string?> IssueCouponAsync(Reward reward, Redemption redemption, DateTime now, CancellationToken ct)
    {
        switch (reward.Coupons)
        {
            case CouponSource.Generated:
                // 20 characters of Crockford base32: 100 bits, unguessable; unique index catches the impossible clash.
                const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
                var raw = RandomNumberGenerator.GetString(alphabet, 20);
                var code = string.Join('-', raw.Chunk(5).Select(c => new string(c)));
                db.Set<CouponCode>().Add(new CouponCode { ProgramId = reward.ProgramId, RewardId = reward.Id, Code = code, RedemptionId = redemption.Id,
                    CreatedAt = now, ExpiresAt = reward.CouponValidDays is { } days ? now.AddDays(days) : null });
                return code;
            case CouponSource.Pool:
                var free = await db.Set<CouponCode>().Where(c => c.RewardId == reward.Id && c.RedemptionId == null).OrderBy(c => c.Id).FirstOrDefaultAsync(ct)
                           ?? throw new LoyaltyException("OUT_OF_STOCK", "the coupon pool of this reward is empty", 409);
                free.RedemptionId = redemption.Id;
                if (reward.CouponValidDays is { } valid) free.ExpiresAt = now.AddDays(valid);
                return free.Code;
            default:
                return null;
        }
    }
}
