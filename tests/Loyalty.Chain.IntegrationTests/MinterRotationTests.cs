using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Ownership;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Minter rotation while mint batches are in flight, against the real node: every point lands exactly once.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class MinterRotationTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    [Fact]
    public async Task Rotate_WithMintBatchesInFlight_SwitchesToTheNewKey_DrainsAndRevokesTheOld_AndLedgerEqualsChain()
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "Fixed", points = 3 } });
        var members = Enumerable.Range(0, 6).Select(i => $"rot-{i}-{Guid.NewGuid().ToString("N")[..6]}").ToList();
        foreach (var m in members) await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = m });
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        var minterRole = await points.MinterRoleQueryAsync();
        var old = f.Program["minterAddress"]!.GetValue<string>();

        var events = 0;
        async Task EarnAsync(int round)
        {
            foreach (var m in members)
            {
                var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = m, eventId = $"r{round}-{m}" });
                Assert.Equal(HttpStatusCode.Created, r.Status);
                events++;
            }
            await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        }

        await EarnAsync(0);
        var rotate = await f.Api.PostAsync(f.P("/minter/rotate"), f.Factory.AdminKey, null, "rotate-1");
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        Assert.Equal("granting", rotate.Body!["status"]!.GetValue<string>());
        Assert.Equal(old, rotate.Body["oldMinter"]!.GetValue<string>());
        var fresh = rotate.Body["newMinter"]!.GetValue<string>();
        Assert.NotEqual(old, fresh);
        // Batches keep being cut while the rotation grants, switches and drains.
        // Bounded by time, not rounds: the drain waits out a grace period (the API's program cache), so on a fast machine
        // 60 rounds were over before it ended.
        var round = 1;
        string status;
        var until = DateTime.UtcNow.AddSeconds(120);
        do
        {
            await EarnAsync(round++);
            status = (await f.Api.GetAsync(f.P("/ownership"), f.AdminKey)).Body!["rotation"]!["status"]!.GetValue<string>();
            if (status is not ("completed" or "failed")) await Task.Delay(500);
        } while (status is not ("completed" or "failed") && DateTime.UtcNow < until);
        await EarnAsync(round);
        Assert.Equal("completed", status);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => !await DbAsync(db => db.Set<MintIntent>()
            .AnyAsync(i => i.ProgramId == f.ProgramId && i.Status != IntentStatus.Confirmed)), Wait), "not every accrual was minted");
        var reference = f.ProgramId.ToString();
        var mints = await DbAsync(db => db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == SettlementService.MintPurpose && t.Reference == reference).ToListAsync());
        Assert.Contains(mints, t => t.From == old && t.Outcome == ChainTxOutcome.Succeeded);
        Assert.Contains(mints, t => t.From == fresh && t.Outcome == ChainTxOutcome.Succeeded);
        Assert.DoesNotContain(mints, t => t.Outcome == ChainTxOutcome.Reverted || t.Status == ChainTxStatus.Errored);

        // Exactly once: each wallet holds what its events earned, the ledger says the same, and the supply is the sum.
        foreach (var m in members)
        {
            var member = (await f.Api.GetAsync(f.P($"/members/{m}"), f.AdminKey)).Body!;
            var earned = 3 * (round + 1);
            Assert.Equal(earned.ToString(), member["balance"]!["onChain"]!.GetValue<string>());
            Assert.Equal(earned.ToString(), member["balance"]!["available"]!.GetValue<string>());
            Assert.Equal(earned, (int)await points.BalanceOfQueryAsync(member["walletAddress"]!.GetValue<string>()));
        }
        Assert.Equal(3 * events, (int)await points.TotalSupplyQueryAsync());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!["reconciled"]!.GetValue<bool>(), Wait), "ledger != chain");

        Assert.False(await points.HasRoleQueryAsync(minterRole, old));
        Assert.True(await points.HasRoleQueryAsync(minterRole, fresh));
        var ownership = (await f.Api.GetAsync(f.P("/ownership"), f.AdminKey)).Body!;
        Assert.Equal(fresh, ownership["serviceRoles"]!["minter"]!["address"]!.GetValue<string>());
        Assert.Contains($"sweeping", ownership["rotation"]!["detail"]!.GetValue<string>());

        // The retired key's gas money went to the new relayer in one transfer; what it keeps is under the dust limit.
        ChainTx? sweep = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (sweep = await DbAsync(db => db.Set<ChainTx>().AsNoTracking().Include(t => t.Attempts)
            .SingleOrDefaultAsync(t => t.Purpose == MinterRotation.SweepPurpose && t.From == old)))?.Status == ChainTxStatus.Final, Wait),
            $"sweep {sweep?.Status} {sweep?.ErrorCode}");
        Assert.Equal(fresh, sweep!.To);
        Assert.Equal(ChainTxOutcome.Succeeded, sweep.Outcome);
        var eth = f.Chain.Chain.AdminWeb3.Eth;
        async Task<BigInteger> BalanceAsync(string address, long block) =>
            (await eth.GetBalance.SendRequestAsync(address, new BlockParameter(new HexBigInteger(block)))).Value;
        var block = sweep.BlockNumber!.Value;
        var left = (await eth.GetBalance.SendRequestAsync(old)).Value;
        Assert.True(sweep.Value > 0);
        Assert.Equal(await BalanceAsync(old, block - 1) - sweep.Value - sweep.GasUsed!.Value * sweep.EffectiveGasPrice!.Value, left);
        Assert.True(left < BalanceSweep.DustLimit(sweep.Attempts.Single().MaxFeePerGas), $"{old} still holds {left} wei");
        // Hardhat mines one transaction a block: the new relayer's balance moved by exactly the sweep in it.
        Assert.Equal(sweep.Value, await BalanceAsync(fresh, block) - await BalanceAsync(fresh, block - 1));
        // Advancing again (another pass, a restart) queues nothing more.
        using (var scope = f.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<MinterRotation>().AdvanceAsync(CancellationToken.None);
        Assert.Equal(1, await DbAsync(db => db.Set<ChainTx>().CountAsync(t => t.Purpose == MinterRotation.SweepPurpose && t.From == old)));
        Assert.Equal(1, await DbAsync(db => db.Set<KeyRoleAudit>().CountAsync(a => a.ProgramId == f.ProgramId && a.Action == KeyRoleAudit.Sweep && a.Address == old)));
    }

    [Fact]
    public async Task Rotate_OfAProgramThatRelayedFromTheSharedOperator_CompletesWithoutSweepingTheOperator()
    {
        // A program from before the key split: no minter key of its own, so its relayer is the operator every program shares.
        var (id, programKey) = await f.CreateOtherProgramAsync("Pre-split", "OLD", untilActive: true);
        await DbAsync(db => db.Set<Programs.LoyaltyProgram>().Where(p => p.Id == id)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.MinterAddress, (string?)null)));
        var operatorAddress = (await f.Api.GetAsync("/v1/admin/operator", f.Factory.AdminKey)).Body!["address"]!.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(6)); // the API's program cache (5 s) forgets the minter key

        var rotate = await f.Api.PostAsync($"/v1/programs/{id}/minter/rotate", f.Factory.AdminKey, null, "rotate-pre-split");
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        Assert.Equal(operatorAddress, rotate.Body!["oldMinter"]!.GetValue<string>(), ignoreCase: true);
        JsonNode? rotation = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            rotation = (await f.Api.GetAsync($"/v1/programs/{id}/ownership", programKey)).Body!["rotation"];
            return rotation!["status"]!.GetValue<string>() is "completed" or "failed";
        }, Wait), $"rotation stuck: {rotation}");
        Assert.Equal("completed", rotation!["status"]!.GetValue<string>());
        Assert.Contains("nothing swept", rotation["detail"]!.GetValue<string>());
        // The shared operator's ETH pays every program's gas: no transfer of it was queued, nor a sweep audited.
        var op = operatorAddress.ToLowerInvariant();
        Assert.False(await DbAsync(db => db.Set<ChainTx>().AnyAsync(t => t.Purpose == MinterRotation.SweepPurpose && t.From.ToLower() == op)));
        Assert.False(await DbAsync(db => db.Set<KeyRoleAudit>().AnyAsync(a => a.ProgramId == id && a.Action == KeyRoleAudit.Sweep)));
    }
}
