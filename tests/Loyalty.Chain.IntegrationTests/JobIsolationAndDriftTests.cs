using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The real host's recurring jobs with a poisoned program next to a healthy one, and the reconciler's alert.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class JobIsolationAndDriftTests(JobsProgramFixture f) : IClassFixture<JobsProgramFixture>
{
    [Fact]
    public async Task AProgramWhoseSettlementThrowsEveryRun_DoesNotStopAnotherProgramFromSettling_AndAnAlertNamesIt()
    {
        // A program that sorts first, with a queued intent that cannot be encoded: cutting its batch throws on every run.
        const long poisoned = -7;
        await f.WithDbAsync(async db =>
        {
            db.Add(new LoyaltyProgram
            {
                Id = poisoned, Name = "Poisoned", PointName = "X", PointSymbol = "X", Status = ProgramStatus.Active,
                PointsContract = "0x000000000000000000000000000000000000dead", OperatorAddress = f.Program["operatorAddress"]?.GetValue<string>() ?? "",
                CreatedAt = DateTime.UtcNow,
            });
            db.Add(new MintIntent { ProgramId = poisoned, MemberId = -1, Address = "0xnot-an-address", Amount = 5, Status = IntentStatus.Queued, CreatedAt = DateTime.UtcNow.AddMinutes(-1) });
            return await db.SaveChangesAsync();
        });
        try
        {
            await f.EarnAsync("iso-healthy", 12);

            Assert.True(await f.SettledAsync("iso-healthy", 12, TimeSpan.FromSeconds(60)), "the healthy program did not settle");
            var alert = Assert.Single(await f.AlertsAsync(LoyaltyJobs.StepFailedAlert), a => a.Subject == $"settlement:program:{poisoned}");
            Assert.Null(alert.ResolvedAt);
            Assert.Contains($"program {poisoned}", alert.Message);
            var admin = await f.Api.GetAsync("/v1/admin/alerts?open=true", f.Factory.AdminKey);
            Assert.Contains(admin.Body!.AsArray(), a => a!["subject"]!.GetValue<string>() == $"settlement:program:{poisoned}");
        }
        finally
        {
            await f.WithDbAsync(db => db.Set<MintIntent>().Where(i => i.ProgramId == poisoned).ExecuteDeleteAsync());
        }
        // Once the poisoned row is gone, the program's next run succeeds and resolves its alert.
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.AlertsAsync(LoyaltyJobs.StepFailedAlert))
            .Single(a => a.Subject == $"settlement:program:{poisoned}").ResolvedAt is not null, TimeSpan.FromSeconds(30)), "alert not resolved");
        await f.WithDbAsync(db => db.Set<LoyaltyProgram>().Where(p => p.Id == poisoned).ExecuteDeleteAsync());
    }

    [Fact]
    public async Task ReconciliationFindingTheLedgerOffTheChain_RaisesReconciliationDriftNamingTheMember_ResolvedWhenItAgrees()
    {
        await f.EarnAsync("drift-member", 9);
        Assert.True(await f.SettledAsync("drift-member", 9, TimeSpan.FromSeconds(60)), "did not settle");
        async Task SetOnChainAsync(long value) => await f.WithDbAsync(db =>
            (from b in db.Set<MemberBalance>() join m in db.Set<Member>() on b.MemberId equals m.Id
             where m.ExternalId == "drift-member" select b).ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, value)));

        await SetOnChainAsync(10);
        var report = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.False(report.Body!["reconciled"]!.GetValue<bool>());
        var alerts = await f.Api.GetAsync("/v1/admin/alerts?open=true", f.Factory.AdminKey);
        var drift = Assert.Single(alerts.Body!.AsArray(), a => a!["code"]!.GetValue<string>() == Reconciler.DriftAlert);
        Assert.Equal($"program:{f.ProgramId}", drift!["subject"]!.GetValue<string>());
        Assert.Contains("drift-member (ledger 10, chain 9)", drift["message"]!.GetValue<string>());

        await SetOnChainAsync(9);
        Assert.True((await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!["reconciled"]!.GetValue<bool>());
        Assert.NotNull(Assert.Single(await f.AlertsAsync(Reconciler.DriftAlert)).ResolvedAt);
    }
}
