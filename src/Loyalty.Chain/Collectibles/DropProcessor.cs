using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.RPC.Eth.DTOs;

namespace Loyalty.Chain.Collectibles;

/// <summary>
/// The recurring drop pass (re-entrant, safe on several instances): finished createDrop transactions
/// publish their drop, finished mint batches and voucher relays are applied, then queued mints are cut
/// into mintBatch transactions. Each chunk's ChainTx, its batch row and its mints' Batched status commit in
/// one database transaction (outbox), so a crash anywhere resumes without losing or doubling a mint. A
/// batch never asks for more than the drop's remaining supply, so a sold-out drop does not revert-storm.
/// </summary>
public sealed class DropProcessor(
    LoyaltyDbContext db, ChainTxQueue queue, Web3Factory web3Factory, IOptions<CollectiblesOptions> options, TimeProvider time,
    ChainTxFollower follower, ILogger<DropProcessor> logger)
{
    public const string MintPurpose = "drop.mint";
    public const string ClaimPurpose = "drop.claim";
    /// <summary>The decoded custom error the pipeline records when a spent voucher is relayed.</summary>
    public const string VoucherUsedError = "LoyaltyCollectibleVoucherUsed";
    private const string ZeroAddress = "0x0000000000000000000000000000000000000000";

    /// <summary>Runs every step; a failing drop is logged and retried next pass, never blocking the other steps.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var work = 0;
        work += await StepAsync(nameof(FollowPublishingAsync), FollowPublishingAsync, ct);
        work += await StepAsync(nameof(FollowBatchesAsync), FollowBatchesAsync, ct);
        work += await StepAsync(nameof(FollowRelaysAsync), FollowRelaysAsync, ct);
        work += await StepAsync(nameof(FollowBaseUrisAsync), FollowBaseUrisAsync, ct);
        work += await StepAsync(nameof(CutBatchesAsync), CutBatchesAsync, ct);
        return work;
    }

    private async Task<int> StepAsync(string name, Func<CancellationToken, Task<int>> step, CancellationToken ct)
    {
        try
        {
            db.ChangeTracker.Clear();
            return await step(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Drop step {Step} failed; it runs again next pass", name);
            return 0;
        }
    }

    /// <summary>Publishing drops whose createDrop finished (<see cref="DropCreateOutcome"/>).</summary>
    public Task<int> FollowPublishingAsync(CancellationToken ct) => follower.FollowAsync([DropService.CreatePurpose], ct);

    /// <summary>Finished mint batches (<see cref="DropMintOutcome"/>).</summary>
    public Task<int> FollowBatchesAsync(CancellationToken ct) => follower.FollowAsync([MintPurpose], ct);

    /// <summary>Finished relayed claims (<see cref="VoucherRelayOutcome"/>).</summary>
    public Task<int> FollowRelaysAsync(CancellationToken ct) => follower.FollowAsync([ClaimPurpose], ct);

    /// <summary>Finished base URI changes (<see cref="Sunset.DropBaseUriOutcome"/>).</summary>
    public Task<int> FollowBaseUrisAsync(CancellationToken ct) => follower.FollowAsync([Sunset.DropRehosting.BaseUriPurpose], ct);

    /// <summary>Cuts queued mints of every minting drop into mintBatch transactions.</summary>
    public async Task<int> CutBatchesAsync(CancellationToken ct)
    {
        var dropIds = await db.Set<DropMint>().Where(m => m.Status == DropMintStatus.Queued).Select(m => m.DropId).Distinct().ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        // Draft drops wait for publication, unless their window is over: then their queued mints are reported.
        var drops = await db.Set<Drop>().AsNoTracking().Where(d => dropIds.Contains(d.Id) && d.Status != DropStatus.Publishing
                                                                   && (d.Status != DropStatus.Draft || d.EndsAt <= now)).ToListAsync(ct);
        var cut = 0;
        foreach (var drop in drops)
        {
            try
            {
                cut += await CutDropAsync(drop, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                db.ChangeTracker.Clear();
                logger.LogError(ex, "Drop {DropId}: cutting mint batches failed; retried next pass", drop.Id);
            }
        }
        return cut;
    }

    private async Task<int> CutDropAsync(Drop drop, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (drop.Status == DropStatus.Closed || drop.EndsAt <= now) return await GiveUpQueuedAsync(drop, DropStatus.Closed, "WINDOW_CLOSED", ct);
        if (drop.Status == DropStatus.SoldOut) return await GiveUpQueuedAsync(drop, DropStatus.SoldOut, "SOLD_OUT", ct);
        if (drop.StartsAt > now) return 0;
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == drop.ProgramId, ct);
        // A paused contract would revert the mint: queued mints wait for the resume.
        if (program.Status is ProgramStatus.Paused or ProgramStatus.Resuming) return 0;

        // In flight first, then the chain: a batch mined in between is counted twice, which only delays it a pass.
        var inFlight = await InFlightAsync(drop.Id, ct);
        var onChain = await new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(web3Factory.Get(), program.CollectibleContract!)
            .GetDropQueryAsync(new BigInteger(drop.OnChainDropId!.Value));
        var remaining = drop.MaxSupply - (long)onChain.Minted - inFlight;
        if (remaining <= 0)
            return inFlight == 0 ? await GiveUpQueuedAsync(drop, DropStatus.SoldOut, "SOLD_OUT", ct) : 0;

        var size = options.Value.MaxBatchSize;
        var take = (int)Math.Min(remaining, (long)size * options.Value.MaxBatchesPerPass);
        var ids = await db.Set<DropMint>().Where(m => m.DropId == drop.Id && m.Status == DropMintStatus.Queued)
            .OrderBy(m => m.Id).Select(m => m.Id).Take(take).ToListAsync(ct);
        var chunks = 0;
        foreach (var chunk in ids.Chunk(size))
        {
            if (await CutChunkAsync(program, drop, chunk, ct)) chunks++;
        }
        return chunks;
    }

    /// <summary>One chunk: the ChainTx, the batch row and the mints' Batched status in one database transaction.</summary>
    private async Task<bool> CutChunkAsync(LoyaltyProgram program, Drop drop, long[] ids, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        try
        {
            return await db.InWriteTransactionAsync(ct => CutChunkInTransactionAsync(program, drop, ids, ct), ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance batched some of these mints first: this chunk and its ChainTx rolled back together.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private async Task<bool> CutChunkInTransactionAsync(LoyaltyProgram program, Drop drop, long[] ids, CancellationToken ct)
    {
        var mints = await db.Set<DropMint>().Where(m => ids.Contains(m.Id) && m.Status == DropMintStatus.Queued).OrderBy(m => m.Id).ToListAsync(ct);
        if (mints.Count == 0) return false;
        var memberIds = mints.Select(m => m.MemberId).Distinct().ToList();
        var wallets = await db.Set<Member>().AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.WalletAddress, ct);
        var data = new MintBatchFunction
        {
            DropId = new BigInteger(drop.OnChainDropId!.Value),
            To = mints.Select(m => wallets[m.MemberId]).ToList(),
        }.GetCallData().ToHex(true);
        var chainTx = queue.Add(new ChainTxRequest(program.Relayer, program.CollectibleContract!, data, MintPurpose, drop.Id.ToString()));
        await db.SaveChangesAsync(ct);
        var batch = new DropMintBatch
        {
            ProgramId = drop.ProgramId, DropId = drop.Id, ChainTxId = chainTx.Id, Recipients = mints.Count,
            Status = DropBatchStatus.Pending, CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Set<DropMintBatch>().Add(batch);
        await db.SaveChangesAsync(ct);
        for (var i = 0; i < mints.Count; i++)
        {
            mints[i].Status = DropMintStatus.Batched;
            mints[i].BatchId = batch.Id;
            mints[i].BatchIndex = i;
            mints[i].Address = wallets[mints[i].MemberId];
            mints[i].Version++;
        }
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Drop {DropId}: mint batch {BatchId} of {Count} recipients as ChainTx {ChainTxId}", drop.Id, batch.Id, mints.Count, chainTx.Id);
        return true;
    }

    /// <summary>Tokens asked for by transactions not yet mined (mint batches and relayed claims).</summary>
    private async Task<long> InFlightAsync(long dropId, CancellationToken ct)
    {
        var batches = await (from b in db.Set<DropMintBatch>()
                             join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                             where b.DropId == dropId && b.Status == DropBatchStatus.Pending
                                   && (t.Status == ChainTxStatus.Queued || t.Status == ChainTxStatus.Sent)
                             select (long?)b.Recipients).SumAsync(ct) ?? 0;
        var relays = await (from v in db.Set<DropVoucher>()
                            join t in db.Set<ChainTx>() on v.RelayTxId equals t.Id
                            where v.DropId == dropId && v.Status == VoucherStatus.Relaying
                                  && (t.Status == ChainTxStatus.Queued || t.Status == ChainTxStatus.Sent)
                            select v.Id).CountAsync(ct);
        return batches + relays;
    }

    /// <summary>Nothing left to mint: what is still queued is reported as not minted, and the drop says why.</summary>
    private async Task<int> GiveUpQueuedAsync(Drop drop, DropStatus status, string code, CancellationToken ct)
    {
        var failed = await db.Set<DropMint>().Where(m => m.DropId == drop.Id && m.Status == DropMintStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.Status, DropMintStatus.Failed).SetProperty(m => m.FailureCode, code)
                .SetProperty(m => m.Version, m => m.Version + 1), ct);
        if (drop.Status != status)
        {
            await db.Set<Drop>().Where(d => d.Id == drop.Id && (d.Status == DropStatus.Published || d.Status == DropStatus.Draft))
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, status), ct);
        }
        if (failed > 0) logger.LogWarning("Drop {DropId}: {Count} queued mints not minted ({Code})", drop.Id, failed, code);
        return 0;
    }

    /// <summary>Token ids minted by a receipt, in log order (mintBatch mints in the order of its recipients).</summary>
    internal static List<BigInteger> MintedTokenIds(TransactionReceipt receipt, string contract) => receipt.DecodeAllEvents<TransferEventDTO>()
        .Where(e => string.Equals(e.Log.Address, contract, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(e.Event.From, ZeroAddress, StringComparison.OrdinalIgnoreCase))
        .OrderBy(e => e.Log.LogIndex.Value).Select(e => e.Event.TokenId).ToList();
}
