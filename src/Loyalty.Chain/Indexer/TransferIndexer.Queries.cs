using System.Numerics;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Indexer;

/// <summary>Reads of the index: on-chain state as of each contract's checkpoint, not the chain head.</summary>
public sealed partial class TransferIndexer
{
    /// <summary>Points (ERC-20) or number of tokens (ERC-721) <paramref name="holder"/> holds in <paramref name="contract"/>.</summary>
    public async Task<BigInteger> BalanceOfAsync(string contract, string holder, CancellationToken ct = default)
    {
        var (c, h) = (contract.ToLowerInvariant(), holder.ToLowerInvariant());
        var row = await db.Set<TokenHolding>().AsNoTracking().SingleOrDefaultAsync(x => x.Contract == c && x.Holder == h, ct);
        return row?.Balance ?? BigInteger.Zero;
    }

    /// <summary>Points <paramref name="holder"/> holds in the program's ERC-20 contract(s).</summary>
    public async Task<BigInteger> BalanceOfAsync(long programId, string holder, CancellationToken ct = default)
    {
        var h = holder.ToLowerInvariant();
        var points = await db.Set<IndexerCheckpoint>().AsNoTracking()
            .Where(c => c.ChainId == Chain.ChainId && c.ProgramId == programId && c.Standard == TokenStandard.Erc20)
            .Select(c => c.Contract).ToListAsync(ct);
        var rows = await db.Set<TokenHolding>().AsNoTracking()
            .Where(x => x.Holder == h && points.Contains(x.Contract)).ToListAsync(ct);
        return rows.Aggregate(BigInteger.Zero, (sum, x) => sum + x.Balance);
    }

    /// <summary>Minted minus burnt, kept with the checkpoint; always the sum of the contract's holdings.</summary>
    public async Task<BigInteger> TotalSupplyAsync(string contract, CancellationToken ct = default) =>
        (await FindCheckpointAsync(contract, ct))?.Supply ?? BigInteger.Zero;

    /// <summary>Last block fully indexed for <paramref name="contract"/>; -1 before its first scan.</summary>
    public async Task<long> IndexedBlockAsync(string contract, CancellationToken ct = default) =>
        (await FindCheckpointAsync(contract, ct))?.LastBlock ?? -1;

    /// <summary>Owner of an ERC-721 token (lower-case), or null when it does not exist (or is not indexed yet).</summary>
    public async Task<string?> OwnerOfAsync(string contract, BigInteger tokenId, CancellationToken ct = default)
    {
        var c = contract.ToLowerInvariant();
        var row = await db.Set<CollectibleOwner>().AsNoTracking().SingleOrDefaultAsync(o => o.Contract == c && o.TokenId == tokenId, ct);
        return row?.Owner;
    }

    private Task<IndexerCheckpoint?> FindCheckpointAsync(string contract, CancellationToken ct)
    {
        var c = contract.ToLowerInvariant();
        return db.Set<IndexerCheckpoint>().AsNoTracking().SingleOrDefaultAsync(x => x.ChainId == Chain.ChainId && x.Contract == c, ct);
    }
}
