using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Indexer;

/// <summary>
/// Follows the Transfer logs of each program contract and keeps the on-chain balance (ERC-20) and
/// token owners (ERC-721) of every holder, including moves between self-custody wallets that the
/// service never made. Only blocks at confirmation depth are read, so an ordinary reorg never reaches
/// the tables. Each range of blocks is applied in one database transaction with its checkpoint: a
/// crash leaves all of a range or none of it, and a log seen twice is applied once.
/// <para>
/// The hash of the checkpointed block is kept and checked before going on. When that block is no
/// longer canonical (a reorg deeper than the confirmation depth) the scan stops with
/// <see cref="IndexStatus.ReorgDetected"/> and rewrites nothing, on every run, until an operator acts:
/// raise <c>Chain:ConfirmationDepth</c>, then <see cref="ResetAsync"/> the contract so the next scan
/// rebuilds it from its start block.
/// </para>
/// </summary>
public sealed partial class TransferIndexer(
    LoyaltyDbContext db,
    Web3Factory web3Factory,
    IIndexedContracts contracts,
    IOptions<IndexerOptions> options,
    TimeProvider time,
    Alerts.AlertSink alerts,
    ILogger<TransferIndexer> logger)
{
    public const string DeepReorgAlert = "DEEP_REORG";

    private ChainOptions Chain => web3Factory.Options;

    /// <summary>Scans every indexed contract; one contract's failure is reported in its result and does not stop the others.</summary>
    public async Task<IReadOnlyList<IndexResult>> ScanAllAsync(CancellationToken ct)
    {
        var results = new List<IndexResult>();
        foreach (var contract in await contracts.GetAsync(ct))
        {
            try
            {
                results.Add(await ScanAsync(contract, ct));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                db.ChangeTracker.Clear();
                logger.LogError(ex, "Indexing {Contract} (program {ProgramId}) failed", contract.Address, contract.ProgramId);
                results.Add(new(contract.ProgramId, contract.Address.ToLowerInvariant(), IndexStatus.Failed, -1, -1, 0, ex.Message));
            }
        }
        return results;
    }

    /// <summary>Indexes <paramref name="contract"/> from its checkpoint up to the block at confirmation depth.</summary>
    public async Task<IndexResult> ScanAsync(IndexedContract contract, CancellationToken ct)
    {
        var web3 = web3Factory.Get();
        var address = contract.Address.ToLowerInvariant();
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var safe = head - Chain.ConfirmationDepth + 1;
        var range = options.Value.MaxBlockRange;
        var applied = 0;
        await EnsureCheckpointAsync(contract, address, ct);

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Read afresh each range: the database, not a tracked copy, says how far we are.
            db.ChangeTracker.Clear();
            var checkpoint = await db.Set<IndexerCheckpoint>().SingleAsync(c => c.ChainId == Chain.ChainId && c.Contract == address, ct);
            var indexed = checkpoint.LastBlock;
            IndexResult Result(IndexStatus status, string? detail = null) =>
                new(contract.ProgramId, address, status, indexed, safe, applied, detail);

            if (await CheckpointProblemAsync(web3, checkpoint) is { } problem)
            {
                if (problem.Status == IndexStatus.ReorgDetected) await RaiseDeepReorgAsync(checkpoint, problem.Detail, ct);
                return Result(problem.Status, problem.Detail);
            }
            if (checkpoint.LastBlock >= safe) return Result(IndexStatus.Indexed);

            var from = checkpoint.LastBlock + 1;
            var to = Math.Min(safe, from + range - 1);
            var toHash = await BlockHashAsync(web3, to);
            FilterLog[] logs;
            try
            {
                logs = await web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
                {
                    Address = [address],
                    FromBlock = new BlockParameter(new HexBigInteger(from)),
                    ToBlock = new BlockParameter(new HexBigInteger(to)),
                    Topics = [contract.Standard == TokenStandard.Erc721 ? new[] { TransferEvents.Topic, VoucherClaims.Topic } : TransferEvents.Topic],
                }) ?? [];
            }
            catch (Exception ex) when (to > from && TransferEvents.IsRangeTooLarge(ex))
            {
                range = (int)Math.Max(1, (to - from + 1) / 2);
                logger.LogInformation("eth_getLogs {From}-{To} of {Contract} refused as too large; retrying with {Range} blocks", from, to, address, range);
                continue;
            }

            // All that was read must come from one chain: the range's end and the checkpoint still in place.
            if (toHash is null || !string.Equals(toHash, await BlockHashAsync(web3, to), StringComparison.Ordinal))
            {
                logger.LogWarning("Block {Block} changed while {Contract} was read: a reorg below confirmation depth {Depth}", to, address, Chain.ConfirmationDepth);
                return Result(IndexStatus.Interrupted, $"block {to} changed while its range was read");
            }
            if (await CheckpointProblemAsync(web3, checkpoint) is { } moved)
            {
                if (moved.Status == IndexStatus.ReorgDetected) await RaiseDeepReorgAsync(checkpoint, moved.Detail, ct);
                return Result(moved.Status, moved.Detail);
            }

            var count = await ApplyAsync(contract, checkpoint, from, to, toHash, logs, ct);
            if (count is null) return Result(IndexStatus.Interrupted, "another instance is indexing this contract");
            applied += count.Value;
            indexed = to;
        }
    }

    /// <summary>
    /// Operator action after <see cref="IndexStatus.ReorgDetected"/>: forgets everything indexed for the
    /// contract, in one transaction; the next scan rebuilds it from the contract's start block.
    /// </summary>
    public async Task ResetAsync(string contract, CancellationToken ct)
    {
        var address = contract.ToLowerInvariant();
        await db.InWriteTransactionAsync(async ct =>
        {
            await db.Set<IndexerCheckpoint>().Where(c => c.ChainId == Chain.ChainId && c.Contract == address).ExecuteDeleteAsync(ct);
            await db.Set<TransferLog>().Where(l => l.Contract == address).ExecuteDeleteAsync(ct);
            await db.Set<TokenHolding>().Where(h => h.Contract == address).ExecuteDeleteAsync(ct);
            await db.Set<CollectibleOwner>().Where(o => o.Contract == address).ExecuteDeleteAsync(ct);
        }, ct);
        logger.LogWarning("Index of {Contract} reset; the next scan rebuilds it from its start block", address);
    }

    private async Task EnsureCheckpointAsync(IndexedContract contract, string address, CancellationToken ct)
    {
        if (await db.Set<IndexerCheckpoint>().AnyAsync(c => c.ChainId == Chain.ChainId && c.Contract == address, ct)) return;
        db.Add(new IndexerCheckpoint
        {
            ChainId = Chain.ChainId, Contract = address, ProgramId = contract.ProgramId, Standard = contract.Standard,
            LastBlock = contract.StartBlock - 1, UpdatedAt = Now,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance created it first: theirs is as good as ours.
            db.ChangeTracker.Clear();
            if (!await db.Set<IndexerCheckpoint>().AnyAsync(c => c.ChainId == Chain.ChainId && c.Contract == address, ct)) throw;
        }
        db.ChangeTracker.Clear();
    }

    private async Task<(IndexStatus Status, string Detail)?> CheckpointProblemAsync(IWeb3 web3, IndexerCheckpoint checkpoint)
    {
        if (checkpoint.LastBlockHash is null) return null;
        var hash = await BlockHashAsync(web3, checkpoint.LastBlock);
        if (hash is null)
        {
            logger.LogWarning("The node has no block {Block} yet, indexed for {Contract}: it is behind", checkpoint.LastBlock, checkpoint.Contract);
            return (IndexStatus.Interrupted, $"the node does not have block {checkpoint.LastBlock}");
        }
        if (string.Equals(hash, checkpoint.LastBlockHash, StringComparison.Ordinal)) return null;
        logger.LogError(
            "Reorg deeper than the confirmation depth ({Depth}): block {Block} of {Contract} was indexed with hash {Indexed} and is now {Current}. " +
            "Indexing of program {ProgramId} is stopped and its holdings are as of the old chain; an operator must raise Chain:ConfirmationDepth and reset the contract's index",
            Chain.ConfirmationDepth, checkpoint.LastBlock, checkpoint.Contract, checkpoint.LastBlockHash, hash, checkpoint.ProgramId);
        return (IndexStatus.ReorgDetected, $"block {checkpoint.LastBlock} was indexed as {checkpoint.LastBlockHash} and is now {hash}");
    }

    private Task RaiseDeepReorgAsync(IndexerCheckpoint checkpoint, string detail, CancellationToken ct) =>
        alerts.RaiseAsync(DeepReorgAlert, $"indexer:{checkpoint.Contract}",
            $"Reorg deeper than the confirmation depth ({Chain.ConfirmationDepth}) under program {checkpoint.ProgramId}'s contract " +
            $"{checkpoint.Contract}: {detail}. Indexing of it is stopped; run the reorg recovery (POST /v1/admin/recovery/reorg) " +
            "from a block below the fork.", ct);

    private static async Task<string?> BlockHashAsync(IWeb3 web3, long number)
    {
        var block = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(number));
        return block?.BlockHash?.ToLowerInvariant();
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
