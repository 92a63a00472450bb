using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>10,000 purchases (3,000 on PostgreSQL) for 1,000 members through the HTTP API, settled in batches by the Hangfire jobs.</summary>
[Trait("Category", "Scale")]
public sealed class SettlementScaleTests(ProgramFixture f, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ProgramFixture>
{
    [Fact]
    public async Task TenThousandPurchasesForAThousandMembers_SettleToExactlyTheLedger_InTheFewestMintTransactions()
    {
        // The PostgreSQL pass keeps the 1,000 members (two 500-holder mint chunks, the large claims and batches) with three
        // purchases each: the 10,000-event intake is the SQLite pass's, and on PostgreSQL it took a minute and a half of the
        // suite's 30-minute budget (intake throughput on both is ./scripts/bench.sh's, not this test's).
        const int members = 1000;
        var events = TestDatabase.IsPostgres ? 3_000 : 10_000;
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
        {
            name = "2 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 2, perMinorUnits = 100 },
        })).Status);
        var ids = Enumerable.Range(0, members).Select(i => $"scale-{i}").ToArray();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status));

        long expected = 0;
        var bodies = Enumerable.Range(0, events).Select(i =>
        {
            var euros = 1 + i % 37;
            expected += 2L * euros + 1; // 2 points per euro on x.50 euros, floor

            return new { type = "purchase", memberId = ids[i % members], eventId = $"order-{i}", amount = $"{euros}.50" };
        }).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (body, _) =>
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, body, "idem-" + body.eventId)).Status));

        output.WriteLine($"intake of {events} events: {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        // Nothing was settled during intake (intents wait up to Settlement:MaxIntentAge); settle everything now.
        var run = await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, run.Status);
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            db.ChangeTracker.Clear();
            return !await db.Set<MintIntent>().AnyAsync(i => i.ProgramId == f.ProgramId && i.Status != IntentStatus.Confirmed);
        }, TimeSpan.FromSeconds(120)), "settlement did not finish");

        output.WriteLine($"settlement: {clock.Elapsed.TotalSeconds:F1} s");
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        var wallets = await db.Set<Member>().Where(m => m.ProgramId == f.ProgramId).Select(m => new { m.Id, m.WalletAddress }).ToListAsync();
        BigInteger onChainSum = 0;
        foreach (var w in wallets)
        {
            var chain = await points.BalanceOfQueryAsync(w.WalletAddress);
            var ledger = await db.Set<MemberBalance>().Where(b => b.MemberId == w.Id).Select(b => new { b.Available, b.OnChain }).SingleAsync();
            Assert.Equal(new BigInteger(ledger.Available), chain);
            Assert.Equal(ledger.Available, ledger.OnChain);
            onChainSum += chain;
        }
        Assert.Equal(new BigInteger(expected), onChainSum);
        Assert.Equal(new BigInteger(expected), await points.TotalSupplyQueryAsync());

        var mintTxs = await db.Set<ChainTx>().CountAsync(t => t.Purpose == SettlementService.MintPurpose && t.Reference == f.ProgramId.ToString());
        var chunksNeeded = (int)Math.Ceiling(members / 500.0);
        Assert.Equal(chunksNeeded, mintTxs);

        var reconciliation = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(reconciliation.Body!["reconciled"]!.GetValue<bool>(), reconciliation.Body.ToJsonString());
    }
}
