using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Programs;

/// <summary>Every active program's points (ERC-20) and collectible (ERC-721) contracts, from their deployment block.</summary>
public sealed class ProgramIndexedContracts(LoyaltyDbContext db) : IIndexedContracts
{
    public async Task<IReadOnlyList<IndexedContract>> GetAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Status == ProgramStatus.Active).ToListAsync(ct);
        var contracts = new List<IndexedContract>();
        foreach (var p in programs)
        {
            if (p.PointsContract is not null) contracts.Add(new IndexedContract(p.Id, p.PointsContract, TokenStandard.Erc20, p.StartBlock));
            if (p.CollectibleContract is not null) contracts.Add(new IndexedContract(p.Id, p.CollectibleContract, TokenStandard.Erc721, p.StartBlock));
        }
        return contracts;
    }
}
