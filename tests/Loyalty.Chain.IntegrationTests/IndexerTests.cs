using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Nethereum.Contracts;
using Nethereum.Signer;
using CollectibleTransfer = Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition.TransferEventDTO;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The Transfer-log indexer against a real Hardhat node (automine only: a block per transaction or
/// evm_mine) and a real SQLite file per test. Each test deploys its own contracts, so the holders and
/// the supply it checks against the chain are all its own.
/// </summary>
[Trait("Category", "Indexer")]
public sealed class IndexerTests(IndexerFixture f) : IClassFixture<IndexerFixture>
{
    private const long Program = 7;

    [Fact]
    public async Task Scan_AfterMintsAndABurn_HoldingsEqualChainBalancesAndTotalSupply()
    {
        var (points, block) = await f.DeployPointsAsync();
        var (key, wallet) = await f.NewWalletAsync();
        var holders = Enumerable.Range(0, 3).Select(_ => NewAddress()).Append(wallet.Address).ToList();
        await points.MintBatchRequestAndWaitForReceiptAsync(holders, [10, 20, 30, 40]);
        await points.MintBatchRequestAndWaitForReceiptAsync([holders[0], holders[1]], [5, 7]);
        await BurnAsync(points, key, 15);
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract]);

        var result = await indexer.ScanAsync(contract);

        Assert.Equal(IndexStatus.Indexed, result.Status);
        Assert.Equal(await f.HeadAsync(), result.IndexedBlock);
        Assert.Equal(7, result.TransfersApplied); // 6 mints and 1 burn
        await AssertHoldingsMatchChainAsync(indexer, points, holders);
        Assert.Equal(new BigInteger(25), await indexer.WithIndexerAsync(i => i.BalanceOfAsync(points.ContractAddress, wallet.Address)));
        Assert.Equal(new BigInteger(15), await indexer.WithIndexerAsync(i => i.BalanceOfAsync(Program, holders[0])));
    }

    [Fact]
    public async Task TransferBetweenSelfCustodyWallets_NotMadeByTheService_IsReflected()
    {
        var (points, block) = await f.DeployPointsAsync();
        var (_, sender) = await f.NewWalletAsync();
        var receiver = NewAddress();
        await points.MintBatchRequestAndWaitForReceiptAsync([sender.Address], [100]);
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract]);
        await indexer.ScanAsync(contract);

        // The member signs and pays for this one: the service never sees it except through the logs.
        var own = new LoyaltyPointsService(f.Chain.Web3For(sender), points.ContractAddress);
        var receipt = await own.TransferRequestAndWaitForReceiptAsync(receiver, 35);
        var result = await indexer.ScanAsync(contract);

        Assert.Equal(IndexStatus.Indexed, result.Status);
        Assert.Equal(1, result.TransfersApplied);
        Assert.Equal(new BigInteger(65), await indexer.WithIndexerAsync(i => i.BalanceOfAsync(points.ContractAddress, sender.Address)));
        Assert.Equal(new BigInteger(35), await indexer.WithIndexerAsync(i => i.BalanceOfAsync(points.ContractAddress, receiver)));
        await AssertHoldingsMatchChainAsync(indexer, points, [sender.Address, receiver]);
        var log = await indexer.WithDbAsync(db => db.Set<TransferLog>().SingleAsync(l => l.TxHash == receipt.TransactionHash.ToLowerInvariant()));
        Assert.Equal((sender.Address.ToLowerInvariant(), receiver.ToLowerInvariant(), new BigInteger(35)), (log.From, log.To, log.Value));
    }

    [Fact]
    public async Task BlocksAboveConfirmationDepth_AreNotIndexed_UntilMoreBlocksAreMined()
    {
        var (points, block) = await f.DeployPointsAsync();
        var holder = NewAddress();
        var minted = (long)(await points.MintBatchRequestAndWaitForReceiptAsync([holder], [50])).BlockNumber.Value;
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract], confirmationDepth: 2);

        var early = await indexer.ScanAsync(contract);
        Assert.Equal(minted - 1, early.IndexedBlock);
        Assert.Equal(BigInteger.Zero, await indexer.WithIndexerAsync(i => i.BalanceOfAsync(points.ContractAddress, holder)));

        await f.MineAsync(1);
        var late = await indexer.ScanAsync(contract);

        Assert.Equal(minted, late.IndexedBlock);
        Assert.Equal(minted, await indexer.WithIndexerAsync(i => i.IndexedBlockAsync(points.ContractAddress)));
        Assert.Equal(new BigInteger(50), await indexer.WithIndexerAsync(i => i.BalanceOfAsync(points.ContractAddress, holder)));
    }

    [Fact]
    public async Task Scan_RunAgainOrOverAnAlreadyIndexedRange_ChangesNothing()
    {
        var (points, block) = await f.DeployPointsAsync();
        var (_, wallet) = await f.NewWalletAsync();
        var other = NewAddress();
        await points.MintBatchRequestAndWaitForReceiptAsync([wallet.Address, other], [40, 60]);
        await new LoyaltyPointsService(f.Chain.Web3For(wallet), points.ContractAddress).TransferRequestAndWaitForReceiptAsync(other, 15);
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract]);
        await indexer.ScanAsync(contract);
        var before = await StateAsync(indexer, points.ContractAddress);

        var again = await indexer.ScanAsync(contract);
        Assert.Equal(0, again.TransfersApplied);
        Assert.Equal(before, await StateAsync(indexer, points.ContractAddress));

        // As if the checkpoint had not moved with the range: the logs are recorded, so nothing counts twice.
        await indexer.WithDbAsync(db => db.Set<IndexerCheckpoint>().ExecuteUpdateAsync(s => s
            .SetProperty(c => c.LastBlock, block - 1).SetProperty(c => c.LastBlockHash, (string?)null)));
        var rewound = await indexer.ScanAsync(contract);

        Assert.Equal(IndexStatus.Indexed, rewound.Status);
        Assert.Equal(0, rewound.TransfersApplied);
        Assert.Equal(before, await StateAsync(indexer, points.ContractAddress));
        await AssertHoldingsMatchChainAsync(indexer, points, [wallet.Address, other]);
    }

    [Fact]
    public async Task ScanRangeSmallerThanTheBlocks_GivesTheSameResultAsOneRange()
    {
        var (points, block) = await f.DeployPointsAsync();
        var holders = Enumerable.Range(0, 3).Select(_ => NewAddress()).ToList();
        for (var i = 0; i < 5; i++) await points.MintBatchRequestAndWaitForReceiptAsync([holders[i % 3]], [i + 1]);
        var contract = Erc20(points, block);
        await using var wide = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract]);
        await using var narrow = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract], maxBlockRange: 2);

        var one = await wide.ScanAsync(contract);
        var many = await narrow.ScanAsync(contract);

        Assert.Equal(one.IndexedBlock, many.IndexedBlock);
        Assert.Equal(5, many.TransfersApplied);
        Assert.Equal(await StateAsync(wide, points.ContractAddress), await StateAsync(narrow, points.ContractAddress));
        await AssertHoldingsMatchChainAsync(narrow, points, holders);
    }

    [Fact]
    public async Task TwoInstancesScanningOneDatabaseAtOnce_CountEveryTransferOnce()
    {
        var (points, block) = await f.DeployPointsAsync();
        var holders = Enumerable.Range(0, 3).Select(_ => NewAddress()).ToList();
        for (var i = 0; i < 6; i++) await points.MintBatchRequestAndWaitForReceiptAsync([holders[i % 3]], [i + 1]);
        var contract = Erc20(points, block);
        var db = f.NewDatabase();
        await using var a = await IndexerHarness.StartAsync(f.RpcUrl, db, [contract], maxBlockRange: 1);
        await using var b = await IndexerHarness.StartAsync(f.RpcUrl, db, [contract], maxBlockRange: 1);

        var results = await Task.WhenAll(a.ScanAsync(contract), b.ScanAsync(contract));
        var final = await a.ScanAsync(contract);

        Assert.All(results, r => Assert.Contains(r.Status, new[] { IndexStatus.Indexed, IndexStatus.Interrupted }));
        Assert.Equal(6, results.Sum(r => r.TransfersApplied) + final.TransfersApplied);
        Assert.Equal(6, await a.WithDbAsync(d => d.Set<TransferLog>().CountAsync()));
        await AssertHoldingsMatchChainAsync(a, points, holders);
    }

    [Fact]
    public async Task NodeRefusingWideLogQueries_ScanHalvesTheRangeAndIndexesEverything()
    {
        var (points, block) = await f.DeployPointsAsync();
        var holders = Enumerable.Range(0, 2).Select(_ => NewAddress()).ToList();
        for (var i = 0; i < 6; i++) await points.MintBatchRequestAndWaitForReceiptAsync([holders[i % 2]], [10]);
        await using var proxy = new IndexerRangeLimitProxy(f.RpcUrl, maxRange: 3);
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(proxy.Url, f.NewDatabase(), [contract]);

        var result = await indexer.ScanAsync(contract);

        Assert.True(proxy.Refused > 0);
        Assert.Equal(IndexStatus.Indexed, result.Status);
        Assert.Equal(await f.HeadAsync(), result.IndexedBlock);
        await AssertHoldingsMatchChainAsync(indexer, points, holders);
    }

    [Fact]
    public async Task ReorgDeeperThanConfirmationDepth_OfTheCheckpointedBlock_IsReportedAndChangesNothing()
    {
        var (points, block) = await f.DeployPointsAsync();
        var (kept, lost) = (NewAddress(), NewAddress());
        await points.MintBatchRequestAndWaitForReceiptAsync([kept], [10]);
        var contract = Erc20(points, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract], confirmationDepth: 1);
        var snapshot = await f.SnapshotAsync();
        await points.MintBatchRequestAndWaitForReceiptAsync([lost], [20]);
        var indexed = await indexer.ScanAsync(contract);
        var before = await StateAsync(indexer, points.ContractAddress);

        // Replace the checkpointed block (and the mint in it) with a different chain of greater height.
        await f.RevertAsync(snapshot);
        await f.MineAsync(2);
        var result = await indexer.ScanAsync(contract);

        Assert.True(result.ReorgDetected);
        Assert.Equal(indexed.IndexedBlock, result.IndexedBlock);
        Assert.Equal(before, await StateAsync(indexer, points.ContractAddress));
        Assert.True((await indexer.ScanAsync(contract)).ReorgDetected); // stays stopped until an operator acts
        await Assert.ThrowsAsync<InvalidOperationException>(indexer.RunScanJobAsync); // the Hangfire job fails visibly

        // The operator's way out: forget the contract's index and rebuild it from the canonical chain.
        await indexer.WithIndexerAsync(i => i.ResetAsync(points.ContractAddress, CancellationToken.None));
        Assert.Equal(IndexStatus.Indexed, (await indexer.ScanAsync(contract)).Status);
        await AssertHoldingsMatchChainAsync(indexer, points, [kept]);
    }

    [Fact]
    public async Task Erc721_MintBatchAndASelfCustodyTransfer_OwnersMatchOwnerOf()
    {
        var (collectible, block, dropId) = await f.DeployCollectibleAsync();
        var (_, first) = await f.NewWalletAsync();
        var (second, third, receiver) = (NewAddress(), NewAddress(), NewAddress());
        var minted = await collectible.MintBatchRequestAndWaitForReceiptAsync(dropId, [first.Address, second, third]);
        var tokens = minted.DecodeAllEvents<CollectibleTransfer>().Select(e => e.Event.TokenId).ToList();
        await new LoyaltyCollectibleService(f.Chain.Web3For(first), collectible.ContractAddress)
            .TransferFromRequestAndWaitForReceiptAsync(first.Address, receiver, tokens[0]);
        var contract = new IndexedContract(Program, collectible.ContractAddress, TokenStandard.Erc721, block);
        await using var indexer = await IndexerHarness.StartAsync(f.RpcUrl, f.NewDatabase(), [contract]);

        var results = await indexer.ScanAllAsync();

        Assert.Equal(IndexStatus.Indexed, Assert.Single(results).Status);
        Assert.Equal(3, tokens.Count);
        foreach (var token in tokens)
        {
            var onChain = (await collectible.OwnerOfQueryAsync(token)).ToLowerInvariant();
            Assert.Equal(onChain, await indexer.WithIndexerAsync(i => i.OwnerOfAsync(collectible.ContractAddress, token)));
        }
        foreach (var holder in new[] { first.Address, second, third, receiver })
        {
            Assert.Equal(await collectible.BalanceOfQueryAsync(holder),
                await indexer.WithIndexerAsync(i => i.BalanceOfAsync(collectible.ContractAddress, holder)));
        }
        Assert.Equal(new BigInteger(3), await indexer.WithIndexerAsync(i => i.TotalSupplyAsync(collectible.ContractAddress)));
    }

    private static IndexedContract Erc20(LoyaltyPointsService points, long block) =>
        new(Program, points.ContractAddress, TokenStandard.Erc20, block);

    private static string NewAddress() => EthECKey.GenerateKey().GetPublicAddress();

    private async Task BurnAsync(LoyaltyPointsService points, EthECKey holder, BigInteger value)
    {
        var owner = holder.GetPublicAddress();
        var deadline = new BigInteger(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds());
        var nonce = await points.NoncesQueryAsync(owner);
        var signature = LoyaltyTypedData.Sign(new BurnMessage { Owner = owner, Value = value, Nonce = nonce, Deadline = deadline },
            IndexerFixture.PointsName, HardhatNode.ChainId, points.ContractAddress, holder);
        await points.BurnWithSignatureRequestAndWaitForReceiptAsync(owner, value, nonce, deadline, signature);
    }

    /// <summary>
    /// Every holder the test knows has its on-chain balance in the index, the index has no other
    /// holder, and the supply kept with the checkpoint = the sum of holdings = totalSupply on chain.
    /// </summary>
    private static async Task AssertHoldingsMatchChainAsync(IndexerHarness indexer, LoyaltyPointsService points, IEnumerable<string> holders)
    {
        var expected = holders.Select(h => h.ToLowerInvariant()).ToHashSet();
        var rows = await indexer.WithDbAsync(db => db.Set<TokenHolding>().AsNoTracking()
            .Where(h => h.Contract == points.ContractAddress.ToLowerInvariant()).ToListAsync());
        Assert.Equal(expected.Order(), rows.Select(r => r.Holder).Order());
        foreach (var row in rows) Assert.Equal(await points.BalanceOfQueryAsync(row.Holder), row.Balance);
        var total = await points.TotalSupplyQueryAsync();
        Assert.Equal(total, rows.Aggregate(BigInteger.Zero, (s, r) => s + r.Balance));
        Assert.Equal(total, await indexer.WithIndexerAsync(i => i.TotalSupplyAsync(points.ContractAddress)));
    }

    private static Task<string> StateAsync(IndexerHarness indexer, string contract) => indexer.WithDbAsync(async db =>
    {
        var c = contract.ToLowerInvariant();
        var holdings = (await db.Set<TokenHolding>().AsNoTracking().Where(h => h.Contract == c).ToListAsync())
            .OrderBy(h => h.Holder).Select(h => $"{h.Holder}={h.Balance}@{h.UpdatedAtBlock}");
        var logs = await db.Set<TransferLog>().CountAsync(l => l.Contract == c);
        var checkpoint = await db.Set<IndexerCheckpoint>().AsNoTracking().SingleAsync(x => x.Contract == c);
        return $"{string.Join(",", holdings)} logs={logs} at={checkpoint.LastBlock}/{checkpoint.LastBlockHash} supply={checkpoint.Supply}";
    });
}
