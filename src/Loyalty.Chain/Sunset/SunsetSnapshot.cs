using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Programs;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Sunset;

public sealed record PointsLeaf(string Address, string Balance);
public sealed record CollectibleLeaf(string TokenId, string Owner);
public sealed record SnapshotPart<T>(string? Root, int LeafCount, string LeafEncoding, IReadOnlyList<T> Leaves);

/// <summary>The published final snapshot: what anyone can recompute from the chain at <see cref="Block"/>.</summary>
public sealed record SunsetSnapshot(string Format, long ProgramId, long ChainId, long Block, string BlockHash, string PointsContract,
    string? CollectibleContract, DateTime TakenAt, SnapshotPart<PointsLeaf> Points, SnapshotPart<CollectibleLeaf> Collectibles)
{
    public const string FormatName = "loyalty-chain/sunset-snapshot/v1";
    public const string PointsEncoding = "keccak256(bytes.concat(keccak256(abi.encode(address holder, uint256 balance)))); OpenZeppelin StandardMerkleTree, leaves sorted by hash";
    public const string CollectiblesEncoding = "keccak256(bytes.concat(keccak256(abi.encode(uint256 tokenId, address owner)))); OpenZeppelin StandardMerkleTree, leaves sorted by hash";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// Reads the snapshot from the chain alone: every address a Transfer log ever named (from the deployment block to the
/// snapshot block) is asked balanceOf at that block, every token id a Transfer named is asked ownerOf; nothing comes
/// from the ledger or the indexer, so the snapshot cannot inherit their drift.
/// </summary>
public static class SunsetSnapshotReader
{
    /// <summary>Holders per balance read: the reconciler's default (Settlement:ReconcileChunkSize), well under the call gas cap.</summary>
    private const int HolderChunk = 500;

    private const int LogRange = 5_000;

    public static async Task<SunsetSnapshot> ReadAsync(IWeb3 web3, LoyaltyProgram program, long chainId, int confirmationDepth, DateTime now,
        CancellationToken ct)
    {
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var block = Math.Max(program.StartBlock, head - confirmationDepth + 1);
        var at = new BlockParameter(new HexBigInteger(block));
        var blockHash = (await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(block))).BlockHash.ToLowerInvariant();

        var pointsContract = program.PointsContract!;
        var holders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in await TransfersAsync(web3, pointsContract, TokenStandard.Erc20, program.StartBlock, block, ct))
        {
            holders.Add(t.From);
            holders.Add(t.To);
        }
        holders.Remove(TransferEvents.ZeroAddress);
        // The reconciler's chunked reader: one eth_call per HolderChunk holders at the snapshot block, not one per holder.
        var pointLeaves = new List<PointsLeaf>();
        foreach (var chunk in holders.Chunk(HolderChunk))
        {
            ct.ThrowIfCancellationRequested();
            var balances = await Settlement.BalanceReads.BalancesOfAsync(web3, pointsContract, chunk, at);
            for (var i = 0; i < chunk.Length; i++)
                if (balances[i] > 0) pointLeaves.Add(new PointsLeaf(chunk[i], balances[i].ToString()));
        }

        var collectibleLeaves = new List<CollectibleLeaf>();
        if (program.CollectibleContract is { } cc)
        {
            var tokenIds = new SortedSet<BigInteger>();
            foreach (var t in await TransfersAsync(web3, cc, TokenStandard.Erc721, program.StartBlock, block, ct))
                if (t.TokenId is { } id) tokenIds.Add(id);
            var collectible = new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(web3, cc);
            foreach (var id in tokenIds)
            {
                ct.ThrowIfCancellationRequested();
                string owner;
                try { owner = await collectible.OwnerOfQueryAsync(id, at); }
                catch (Nethereum.Contracts.SmartContractCustomErrorRevertException) { continue; } // burnt by then
                catch (Nethereum.JsonRpc.Client.RpcResponseException) { continue; }
                collectibleLeaves.Add(new CollectibleLeaf(id.ToString(), owner.ToLowerInvariant()));
            }
        }

        return new SunsetSnapshot(SunsetSnapshot.FormatName, program.Id, chainId, block, blockHash, pointsContract.ToLowerInvariant(),
            program.CollectibleContract?.ToLowerInvariant(), now,
            new SnapshotPart<PointsLeaf>(PointsRoot(pointLeaves), pointLeaves.Count, SunsetSnapshot.PointsEncoding, pointLeaves),
            new SnapshotPart<CollectibleLeaf>(CollectiblesRoot(collectibleLeaves), collectibleLeaves.Count, SunsetSnapshot.CollectiblesEncoding,
                collectibleLeaves));
    }

    public static SunsetMerkle.Tree? PointsTree(IReadOnlyList<PointsLeaf> leaves) => leaves.Count == 0 ? null
        : new SunsetMerkle.Tree(leaves.Select(l => SunsetMerkle.LeafOf(l.Address, BigInteger.Parse(l.Balance))).ToList());

    public static SunsetMerkle.Tree? CollectiblesTree(IReadOnlyList<CollectibleLeaf> leaves) => leaves.Count == 0 ? null
        : new SunsetMerkle.Tree(leaves.Select(l => SunsetMerkle.LeafOf(BigInteger.Parse(l.TokenId), l.Owner)).ToList());

    private static string? PointsRoot(IReadOnlyList<PointsLeaf> leaves) => PointsTree(leaves)?.Root;
    private static string? CollectiblesRoot(IReadOnlyList<CollectibleLeaf> leaves) => CollectiblesTree(leaves)?.Root;

    private static async Task<List<DecodedTransfer>> TransfersAsync(IWeb3 web3, string contract, TokenStandard standard, long from, long to,
        CancellationToken ct)
    {
        var result = new List<DecodedTransfer>();
        var range = LogRange;
        for (var start = from; start <= to;)
        {
            ct.ThrowIfCancellationRequested();
            var end = Math.Min(to, start + range - 1);
            FilterLog[] logs;
            try
            {
                logs = await web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
                {
                    Address = [contract],
                    FromBlock = new BlockParameter(new HexBigInteger(start)),
                    ToBlock = new BlockParameter(new HexBigInteger(end)),
                    Topics = [TransferEvents.Topic],
                }) ?? [];
            }
            catch (Exception ex) when (end > start && TransferEvents.IsRangeTooLarge(ex))
            {
                range = (int)Math.Max(1, (end - start + 1) / 2);
                continue;
            }
            foreach (var log in logs)
                if (TransferEvents.Decode(log, standard) is { } t) result.Add(t);
            start = end + 1;
        }
        return result;
    }
}
