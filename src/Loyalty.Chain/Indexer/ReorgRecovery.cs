using System.Numerics;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexTypes;

namespace Loyalty.Chain.Indexer;

public sealed record ReorgRecoveryResult(long FromBlock, IReadOnlyList<string> ContractsRewound, int TransfersForgotten,
    IReadOnlyList<long> Requeued, IReadOnlyList<long> Moved);

/// <summary>
/// The operator's answer to <see cref="TransferIndexer.DeepReorgAlert"/>: after a reorg deeper than the confirmation
/// depth, forget every indexed transfer from <c>fromBlock</c> on and rebuild the holdings from what is left (the next
/// scan reads the new chain from there), and send again every transaction the chain lost. A lost transaction keeps
/// its nonce and gas limit, so it lands in the same order (and a deployment at the same address); its business effect
/// was already applied when it first became final, so sending it again is what brings the chain back to the ledger.
/// The chain is read first and the database written in one transaction afterwards: no node call inside it.
/// </summary>
public sealed class ReorgRecovery(LoyaltyDbContext db, Web3Factory web3Factory, AlertSink alerts, TimeProvider time, ILogger<ReorgRecovery> logger)
{
    public async Task<ReorgRecoveryResult> RecoverAsync(long fromBlock, CancellationToken ct)
    {
        var web3 = web3Factory.Get();
        var chainId = web3Factory.Options.ChainId;
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        if (fromBlock < 1 || fromBlock > head)
            throw new LoyaltyException("INVALID_BLOCK", $"fromBlock must be between 1 and the head block {head}", 400);

        var landed = await db.Set<ChainTx>().AsNoTracking()
            .Where(t => t.ChainId == chainId && (t.Status == ChainTxStatus.Mined || t.Status == ChainTxStatus.Final) && t.BlockNumber >= fromBlock)
            .Select(t => new { t.Id, t.MinedHash, t.BlockHash }).ToListAsync(ct);
        var lost = new List<long>();
        var moved = new List<(long Id, long Block, string Hash)>();
        foreach (var t in landed)
        {
            var receipt = t.MinedHash is null ? null : await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(t.MinedHash);
            if (receipt is null) lost.Add(t.Id);
            else if (!string.Equals(receipt.BlockHash, t.BlockHash, StringComparison.OrdinalIgnoreCase))
                moved.Add((t.Id, (long)receipt.BlockNumber.Value, receipt.BlockHash.ToLowerInvariant()));
        }
        var parent = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(fromBlock - 1));
        var parentHash = parent?.BlockHash?.ToLowerInvariant();

        var now = time.GetUtcNow().UtcDateTime;
        var (rewound, forgotten) = await db.InWriteTransactionAsync(async c =>
        {
            var ids = lost.Concat(moved.Select(m => m.Id)).ToList();
            var rows = await db.Set<ChainTx>().Where(t => ids.Contains(t.Id)
                && (t.Status == ChainTxStatus.Mined || t.Status == ChainTxStatus.Final)).ToListAsync(c);
            foreach (var row in rows)
            {
                // Lost: back to Queued with its nonce, so the submitter signs it again at the same nonce.
                if (lost.Contains(row.Id)) row.LostInDeepReorg(fromBlock);
                else
                {
                    var (_, block, hash) = moved.Single(m => m.Id == row.Id);
                    row.MovedToBlock(block, hash);
                }
                row.UpdatedAt = now;
                row.Version++;
            }
            await db.SaveChangesAsync(c);
            return await RewindIndexAsync(chainId, fromBlock, parentHash, now, c);
        }, ct);

        foreach (var contract in rewound) await alerts.ResolveAsync(TransferIndexer.DeepReorgAlert, $"indexer:{contract}", ct);
        logger.LogWarning("Reorg recovery from block {Block}: {Contracts} contracts rewound ({Transfers} transfers forgotten), {Lost} transactions sent again, {Moved} moved",
            fromBlock, rewound.Count, forgotten, lost.Count, moved.Count);
        return new ReorgRecoveryResult(fromBlock, rewound, forgotten, lost, moved.Select(m => m.Id).ToList());
    }

    private async Task<(List<string> Contracts, int Forgotten)> RewindIndexAsync(long chainId, long fromBlock, string? parentHash, DateTime now,
        CancellationToken ct)
    {
        var checkpoints = await db.Set<IndexerCheckpoint>().Where(c => c.ChainId == chainId && c.LastBlock >= fromBlock).ToListAsync(ct);
        var forgotten = 0;
        foreach (var checkpoint in checkpoints)
        {
            var contract = checkpoint.Contract;
            forgotten += await db.Set<TransferLog>().Where(l => l.Contract == contract && l.BlockNumber >= fromBlock).ExecuteDeleteAsync(ct);
            var logs = await db.Set<TransferLog>().AsNoTracking().Where(l => l.Contract == contract)
                .OrderBy(l => l.BlockNumber).ThenBy(l => l.LogIndex).ToListAsync(ct);
            await db.Set<TokenHolding>().Where(h => h.Contract == contract).ExecuteDeleteAsync(ct);
            await db.Set<CollectibleOwner>().Where(o => o.Contract == contract).ExecuteDeleteAsync(ct);

            // Rebuilt from the transfers that remain, exactly as the scan would have left them at fromBlock - 1.
            var holdings = new Dictionary<string, TokenHolding>();
            var owners = new Dictionary<BigInteger, CollectibleOwner>();
            BigInteger supply = 0;
            void Move(string holder, BigInteger delta, long block)
            {
                if (holder == TransferEvents.ZeroAddress) return;
                if (!holdings.TryGetValue(holder, out var h))
                    holdings[holder] = h = new TokenHolding { Contract = contract, Holder = holder, ProgramId = checkpoint.ProgramId };
                h.Balance += delta;
                h.UpdatedAtBlock = block;
            }
            foreach (var l in logs)
            {
                Move(l.From, -l.Value, l.BlockNumber);
                Move(l.To, l.Value, l.BlockNumber);
                if (l.From == TransferEvents.ZeroAddress) supply += l.Value;
                if (l.To == TransferEvents.ZeroAddress) supply -= l.Value;
                if (checkpoint.Standard != TokenStandard.Erc721 || l.TokenId is not { } tokenId) continue;
                if (l.To == TransferEvents.ZeroAddress) owners.Remove(tokenId);
                else owners[tokenId] = new CollectibleOwner { Contract = contract, TokenId = tokenId, ProgramId = checkpoint.ProgramId, Owner = l.To, UpdatedAtBlock = l.BlockNumber };
            }
            db.AddRange(holdings.Values);
            db.AddRange(owners.Values);
            checkpoint.LastBlock = fromBlock - 1;
            checkpoint.LastBlockHash = parentHash;
            checkpoint.Supply = supply;
            checkpoint.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return (checkpoints.Select(c => c.Contract).ToList(), forgotten);
    }
}
