using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Redemption;

/// <summary>
/// Burns reserved points on chain in burnBatchWithSignature transactions: many holders per transaction,
/// each entry authorised by the holder's EIP-712 Burn signature, so no member ever needs gas. A custodial
/// member's redemptions are merged into one entry signed by the service with the member's key, once the
/// points are on chain. An entry the contract skips (SignedBurnSkipped) goes back to be signed again;
/// the others complete: the reservation is retired and the member's on-chain balance lowered.
/// </summary>
public sealed class BurnSettlement(
    LoyaltyDbContext db, ChainTxQueue queue, CustodyService custody, LedgerWriter ledger, Web3Factory web3, Alerts.AlertSink alerts, IOptions<RedemptionOptions> options, TimeProvider time,
    ChainTxFollower follower, ILogger<BurnSettlement> logger)
{
    public const string BurnPurpose = "redemption.burn";
    public const int MaxEntries = 300;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var applied = await FollowAsync(ct);
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Status == ProgramStatus.Active).ToListAsync(ct);
        foreach (var program in programs)
            await alerts.ForProgramAsync(db, logger, "burns", program.Id, async () =>
            {
                try
                {
                    await BatchProgramAsync(program, ct);
                }
                catch (LoyaltyException changed) when (changed.Code == "REDEMPTION_CHANGED")
                {
                    // A redemption moved while its burn was prepared: not a failure of the program, the next round retries.
                    db.ChangeTracker.Clear();
                    logger.LogWarning("{Message}; retrying next round", changed.Message);
                }
            }, ct);
        return applied;
    }

    private async Task BatchProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var ready = await db.Set<Redemption>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Status == RedemptionStatus.Reserved && r.BatchId == null)
            .OrderBy(r => r.Id).Take(MaxEntries * 4).ToListAsync(ct);
        if (ready.Count == 0) return;
        var burning = await db.Set<Redemption>().Where(r => r.ProgramId == program.Id && r.Status == RedemptionStatus.Burning)
            .Select(r => r.MemberId).Distinct().ToListAsync(ct);
        var memberIds = ready.Select(r => r.MemberId).Distinct().ToList();
        var members = await (from m in db.Set<Member>() join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                             where memberIds.Contains(m.Id) select new { m.Id, m.CustodialIndex, b.OnChain }).ToDictionaryAsync(x => x.Id, ct);
        var points = new LoyaltyPointsService(web3.Get(), program.PointsContract!);
        var now = time.GetUtcNow();
        var maxAttempts = options.Value.MaxBurnAttempts;
        var entries = new List<(SignedBurn Burn, List<Redemption> Redemptions)>();
        // Giving up releases the reservation: right for a reward nobody has used yet, never for points the program retired
        // (a deduction, a clawback, an expiry) or a coupon already used at the till. Those keep trying, under an alert.
        var overdue = ready.Where(r => r.BurnAttempts >= maxAttempts).ToList();
        var overdueIds = overdue.Select(r => r.Id).ToList();
        var usedAtTill = overdueIds.Count == 0 ? [] : await db.Set<CouponCode>()
            .Where(c => c.RedemptionId != null && overdueIds.Contains(c.RedemptionId.Value) && c.UsedAt != null)
            .Select(c => c.RedemptionId!.Value).ToListAsync(ct);
        var exhausted = overdue.Where(r => r.Kind == RedemptionKind.Reward && !usedAtTill.Contains(r.Id)).ToList();
        var persistent = overdue.Except(exhausted).ToList();
        foreach (var r in persistent)
            await alerts.RaiseAsync(BurnStuckAlert, $"redemption {r.Id}",
                $"program {program.Id}: the burn of {r.Kind.ToString().ToLowerInvariant()} {r.Id} ({r.Cost} points from {r.Owner}) has not succeeded " +
                $"in {r.BurnAttempts} rounds (last: {r.FailureCode}); it keeps being retried, the points stay reserved", ct);
        var heldBack = new List<Redemption>();
        var expired = new List<Redemption>();

        // Custodial: one merged entry per member of what the wallet really holds (balanceOf, not the ledger's OnChain:
        // a withdrawal the ledger has not seen yet would make the contract skip the entry), none while a burn is in flight.
        foreach (var group in ready.Where(r => !r.SelfCustody && !exhausted.Contains(r)).GroupBy(r => r.MemberId))
        {
            var m = members[group.Key];
            if (burning.Contains(group.Key) || m.CustodialIndex is null) continue;
            var owner = group.First().Owner;
            var held = await points.BalanceOfQueryAsync(owner);
            var budget = BigInteger.Min(held, m.OnChain);
            var taken = new List<Redemption>();
            BigInteger total = 0;
            foreach (var r in group.OrderBy(r => r.Id))
            {
                if (total + r.Cost <= budget) { taken.Add(r); total += r.Cost; }
                // Points still being minted are waited for; points the chain lacks although the ledger has them final are not coming.
                else if (held < m.OnChain) heldBack.Add(r);
            }
            if (taken.Count == 0) continue;
            var nonce = await points.NoncesQueryAsync(owner);
            var deadline = now.AddHours(1).ToUnixTimeSeconds();
            var message = new BurnMessage { Owner = owner, Value = total, Nonce = nonce, Deadline = deadline };
            var signature = await custody.WithMemberKeyAsync(program.Id, m.CustodialIndex.Value,
                key => LoyaltyTypedData.Sign(message, program.PointName, web3.Options.ChainId, program.PointsContract!, key), ct);
            entries.Add((new SignedBurn { Owner = owner, Value = total, Nonce = nonce, Deadline = deadline, Signature = signature }, taken));
        }
        // Self-custody: the member's own signature, one entry per redemption, in nonce order.
        foreach (var r in ready.Where(r => r.SelfCustody && r.BurnSignature is not null && !exhausted.Contains(r))
                     .OrderBy(r => r.Owner).ThenBy(r => r.BurnNonce))
        {
            if (r.BurnDeadline < now.ToUnixTimeSeconds())
            {
                expired.Add(r);
                continue;
            }
            entries.Add((new SignedBurn { Owner = r.Owner, Value = r.Cost, Nonce = r.BurnNonce!.Value, Deadline = r.BurnDeadline!.Value,
                Signature = r.BurnSignature!.HexToByteArray() }, [r]));
        }
        if (entries.Count == 0 && exhausted.Count == 0 && heldBack.Count == 0 && expired.Count == 0) return;

        var queued = await db.InWriteTransactionAsync(async c =>
        {
            foreach (var r in expired)
            {
                // Conditional on what was read: a cancel meanwhile wins.
                await db.Set<Redemption>().Where(x => x.Id == r.Id && x.Status == RedemptionStatus.Reserved && x.BatchId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, RedemptionStatus.AwaitingSignature)
                        .SetProperty(x => x.BurnSignature, (string?)null).SetProperty(x => x.BurnNonce, (long?)null)
                        .SetProperty(x => x.BurnDeadline, (long?)null).SetProperty(x => x.FailureCode, "SIGNATURE_EXPIRED")
                        .SetProperty(x => x.UpdatedAt, now.UtcDateTime), c);
            }
            foreach (var r in heldBack)
            {
                await db.Set<Redemption>().Where(x => x.Id == r.Id && x.Status == RedemptionStatus.Reserved && x.BatchId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.BurnAttempts, x => x.BurnAttempts + 1)
                        .SetProperty(x => x.FailureCode, "CHAIN_BALANCE_SHORT").SetProperty(x => x.UpdatedAt, now.UtcDateTime), c);
            }
            foreach (var r in exhausted) await FailAsync(r, c);
            await db.SaveChangesAsync(c); // the releases' entries, also when no burn is queued
            return await QueueBurnsAsync(program, entries, now, c);
        }, ct);
        db.ChangeTracker.Clear();
        foreach (var r in exhausted)
        {
            await alerts.RaiseAsync(BurnFailedAlert, $"redemption {r.Id}",
                $"program {program.Id}: the burn of redemption {r.Id} ({r.Cost} points from {r.Owner}) did not succeed in {maxAttempts} rounds " +
                $"(last: {r.FailureCode}); the reservation was released and its code voided", ct);
        }
        if (queued) logger.LogInformation("Program {ProgramId}: {Entries} signed burns queued", program.Id, entries.Count);
    }

    public const string BurnFailedAlert = "REDEMPTION_BURN_FAILED";
    /// <summary>A burn that must not be given up (retired points, a used coupon) keeps failing: an operator should look.</summary>
    public const string BurnStuckAlert = "BURN_STUCK";

    /// <summary>Gives up on a burn: the reservation goes back to available (Release), the stock stays taken and the code is void.</summary>
    private async Task FailAsync(Redemption r, CancellationToken ct)
    {
        await RedemptionService.MoveAsync(db, r, RedemptionStatus.Failed, voidReward: true, time, ct, "BURN_RETRIES_EXHAUSTED");
        await ledger.PostAsync(r.ProgramId, r.MemberId, EntryKind.Release, LedgerAccount.Reserved, LedgerAccount.Available, r.Cost,
            new LedgerWriter.Refs(Note: $"redemption {r.Id}: burn failed after {r.BurnAttempts} rounds ({r.FailureCode})", Lot: $"redemption:{r.Id}"), ct);
    }

    /// <summary>Queues the burn transactions and claims their redemptions; false (nothing queued) when one changed meanwhile.</summary>
    private async Task<bool> QueueBurnsAsync(LoyaltyProgram program, List<(SignedBurn Burn, List<Redemption> Redemptions)> entries,
        DateTimeOffset now, CancellationToken ct)
    {
        if (entries.Count == 0) return false;
        foreach (var chunk in entries.Chunk(MaxEntries))
        {
            var data = new BurnBatchWithSignatureFunction { Burns = chunk.Select(e => e.Burn).ToList() }.GetCallData().ToHex(true);
            var chainTx = queue.Add(new ChainTxRequest(program.Relayer, program.PointsContract!, data, BurnPurpose, program.Id.ToString()));
            await db.SaveChangesAsync(ct);
            var batch = new SettlementBatch
            {
                ProgramId = program.Id, ChainTxId = chainTx.Id, Kind = SettlementBatch.KindBurn, Recipients = chunk.Length,
                Total = checked((long)chunk.Aggregate(BigInteger.Zero, (sum, e) => sum + e.Burn.Value)), Status = BatchStatus.Pending,
                CreatedAt = now.UtcDateTime,
            };
            db.Set<SettlementBatch>().Add(batch);
            await db.SaveChangesAsync(ct);
            for (var i = 0; i < chunk.Length; i++)
            {
                // Claim each redemption as it was read (UPDATE ... WHERE Status = Reserved): one cancelled (or batched)
                // meanwhile refuses this round whole, so nothing is ever burned that the ledger has released.
                var ids = chunk[i].Redemptions.Select(r => r.Id).ToList();
                var (batchId, index, nonce, deadline, at) = (batch.Id, i, (long)chunk[i].Burn.Nonce, (long)chunk[i].Burn.Deadline, now.UtcDateTime);
                var claimed = await db.Set<Redemption>().Where(r => ids.Contains(r.Id) && r.Status == RedemptionStatus.Reserved && r.BatchId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RedemptionStatus.Burning).SetProperty(r => r.BatchId, batchId)
                        .SetProperty(r => r.BatchIndex, index).SetProperty(r => r.BurnNonce, nonce).SetProperty(r => r.BurnDeadline, deadline)
                        .SetProperty(r => r.BurnAttempts, r => r.BurnAttempts + 1).SetProperty(r => r.UpdatedAt, at), ct);
                if (claimed != ids.Count)
                    throw new LoyaltyException("REDEMPTION_CHANGED", $"program {program.Id}: a redemption changed while its burn was prepared", 409);
            }
        }
        return true;
    }

    /// <summary>Finished burn batches (<see cref="BurnOutcome"/>).</summary>
    private Task<int> FollowAsync(CancellationToken ct) => follower.FollowAsync([BurnPurpose], ct);
}
