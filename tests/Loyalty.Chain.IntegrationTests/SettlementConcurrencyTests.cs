using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Settlement rounds started concurrently (API calls racing each other and the recurring job) cut each
/// intent into one batch and apply each finished batch once: the chain and the ledger agree afterwards.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SettlementConcurrencyTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    [Fact]
    public async Task ConcurrentSettlementRounds_MintEachIntentOnce_AndApplyEachBatchOnce()
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "visit", trigger = "visit", effect = new { kind = "Fixed", points = 10 } });
        var members = Enumerable.Range(0, 5).Select(i => $"conc-{i}").ToList();
        foreach (var m in members)
        {
            await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m });
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
                new { type = "visit", memberId = m, eventId = "visit-" + m })).Status);
        }

        // Four callers hammer the settlement round while the batch is cut, mined and finalised, so several of
        // them see the same batch turn Final at the same moment (and the recurring job runs as well).
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task HammerAsync()
        {
            while (!done.IsCancellationRequested)
            {
                await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
                var s = (await f.Api.GetAsync(f.P("/settlement"), f.AdminKey)).Body!;
                if (s["confirmedIntents"]!.GetValue<int>() == members.Count) return;
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(HammerAsync)));
        Assert.False(done.IsCancellationRequested, "settlement did not finish");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null)));

        var settlement = (await f.Api.GetAsync(f.P("/settlement"), f.AdminKey)).Body!;
        Assert.Single(settlement["batches"]!.AsArray(), b => b!["kind"]!.GetValue<string>() == "mint");
        Assert.Equal("50", settlement["ledger"]!["onChain"]!.GetValue<string>());
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        Assert.Equal(new BigInteger(50), await points.TotalSupplyQueryAsync());
        foreach (var m in members)
            Assert.Equal("10", (await f.Api.GetAsync(f.P($"/members/{m}"), f.AdminKey)).Body!["balance"]!["onChain"]!.GetValue<string>());
        var report = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(report.Body!["reconciled"]!.GetValue<bool>(), report.Body.ToJsonString());
    }
}
