namespace Loyalty.Chain.Indexer;

public enum TokenStandard
{
    /// <summary>Fungible points: Transfer(from, to, value) with 3 topics, the value in data.</summary>
    Erc20,
    /// <summary>Collectibles: Transfer(from, to, tokenId) with 4 topics, everything indexed.</summary>
    Erc721,
}

/// <summary>
/// One program contract to index. <see cref="StartBlock"/> must be at or before the contract's first
/// Transfer (its deployment block is right): balances are built from the logs alone.
/// </summary>
public sealed record IndexedContract(long ProgramId, string Address, TokenStandard Standard, long StartBlock);

/// <summary>The contracts the indexer follows; the host implements it from the programs table.</summary>
public interface IIndexedContracts
{
    Task<IReadOnlyList<IndexedContract>> GetAsync(CancellationToken ct);
}

/// <summary>A fixed list, for tests and single-program deployments configured by hand.</summary>
public sealed class StaticIndexedContracts(params IndexedContract[] contracts) : IIndexedContracts
{
    public Task<IReadOnlyList<IndexedContract>> GetAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<IndexedContract>>(contracts);
}
