using System.Net;
using System.Text.Json;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A reorg deeper than the confirmation depth under the real host: the alert, the recovery command, and ledger == chain after it.</summary>
public sealed class ReorgRecoveryTests(ReorgRecoveryTests.Fixture f) : IClassFixture<ReorgRecoveryTests.Fixture>
{
    public sealed class Fixture : JobsProgramFixture;

    [Fact]
    public async Task DeepReorgLosingAFinalMint_IsAlerted_AndAfterTheRecoveryCommandTheLedgerEqualsTheChainAgain()
    {
        var web3 = f.Chain.Chain.AdminWeb3;
        var points = f.Program["pointsContract"]!.GetValue<string>().ToLowerInvariant();
        var snapshot = JsonDocument.Parse(await f.Chain.RpcAsync("evm_snapshot")).RootElement.GetProperty("result").GetString()!;
        var forkBlock = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;

        await f.EarnAsync("reorg-member", 15);
        Assert.True(await f.SettledAsync("reorg-member", 15, TimeSpan.FromSeconds(60)), "did not settle");
        var mint = await f.WithDbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Purpose == SettlementService.MintPurpose));
        Assert.Equal(ChainTxStatus.Final, mint.Status);
        Assert.True(await LoyaltyApi.EventuallyAsync(() => f.WithDbAsync(db =>
            db.Set<IndexerCheckpoint>().AnyAsync(c => c.Contract == points && c.LastBlock >= mint.BlockNumber)), TimeSpan.FromSeconds(30)), "mint not indexed");

        // 30 blocks replace everything since the snapshot, the final mint with them.
        Assert.Contains("true", await f.Chain.RpcAsync("evm_revert", $"[\"{snapshot}\"]"));
        await f.Chain.RpcAsync("hardhat_mine", "[\"0x1e\"]");

        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            var alerts = await f.Api.GetAsync("/v1/admin/alerts?open=true", f.Factory.AdminKey);
            return alerts.Body!.AsArray().Any(a => a!["code"]!.GetValue<string>() == TransferIndexer.DeepReorgAlert
                                                   && a["subject"]!.GetValue<string>() == $"indexer:{points}");
        }, TimeSpan.FromSeconds(30)), "no DEEP_REORG alert");
        Assert.False((await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!["reconciled"]!.GetValue<bool>());

        var refused = await f.Api.PostAsync("/v1/admin/recovery/reorg", f.Factory.AdminKey, new { });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("INVALID_BLOCK", refused.Body!["code"]!.GetValue<string>());

        var recovered = await f.Api.PostAsync("/v1/admin/recovery/reorg", f.Factory.AdminKey, new { fromBlock = forkBlock + 1 });
        Assert.Equal(HttpStatusCode.OK, recovered.Status);
        Assert.Contains(mint.Id, recovered.Body!["requeued"]!.AsArray().Select(x => x!.GetValue<long>()));
        Assert.Contains(points, recovered.Body["contractsRewound"]!.AsArray().Select(x => x!.GetValue<string>()));

        // The lost mint goes out again at its nonce and becomes final on the new chain; the index follows it.
        Assert.True(await LoyaltyApi.EventuallyAsync(() => f.WithDbAsync(db => db.Set<ChainTx>()
            .AnyAsync(t => t.Id == mint.Id && t.Status == ChainTxStatus.Final && t.BlockHash != mint.BlockHash)), TimeSpan.FromSeconds(60)), "mint not final again");
        var fifteen = new System.Numerics.BigInteger(15);
        var wallet = await f.WithDbAsync(db => db.Set<Member>().Where(m => m.ExternalId == "reorg-member").Select(m => m.WalletAddress).SingleAsync());
        Assert.True(await LoyaltyApi.EventuallyAsync(() => f.WithDbAsync(db => db.Set<TokenHolding>()
            .AnyAsync(h => h.Contract == points && h.Holder == wallet.ToLowerInvariant() && h.Balance == fifteen)), TimeSpan.FromSeconds(30)), "not re-indexed");
        var report = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(report.Body!["reconciled"]!.GetValue<bool>(), report.Body.ToJsonString());
        Assert.All((await f.AlertsAsync(TransferIndexer.DeepReorgAlert)).Where(a => a.Subject == $"indexer:{points}"), a => Assert.NotNull(a.ResolvedAt));
        Assert.Equal(mint.Nonce, (await f.WithDbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == mint.Id))).Nonce);
    }
}
