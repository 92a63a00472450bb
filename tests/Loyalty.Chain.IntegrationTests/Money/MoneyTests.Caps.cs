using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests.Money;

public sealed partial class MoneyTests
{
    private async Task<(long Events, long Entries)> CountsAsync() => await WithDbAsync(async db =>
        (await db.Set<LoyaltyEvent>().LongCountAsync(), await db.Set<LedgerEntry>().LongCountAsync()));

    [Fact]
    public async Task EventAmountNearInt64_Returns422AmountTooLarge_AndChangesNothing()
    {
        var member = await EnrolAsync("huge");
        await EnsureGiftRuleAsync(F.ProgramId, F.AdminKey);
        var before = await CountsAsync();

        var refused = await F.Api.PostAsync(F.P("/events"), F.AdminKey, new { type = "gift", memberId = member, eventId = "huge-" + member, amount = "92233720368547758.07" });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "AMOUNT_TOO_LARGE"), (refused.Status, refused.Body?["code"]?.GetValue<string>()));
        var lines = await F.Api.PostAsync(F.P("/events"), F.AdminKey, new
        {
            type = "gift", memberId = member, eventId = "lines-" + member,
            lines = new[] { new { sku = "a", amount = "900000000.00", quantity = 1 }, new { sku = "b", amount = "900000000.00", quantity = 1 } },
        });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "AMOUNT_TOO_LARGE"), (lines.Status, lines.Body?["code"]?.GetValue<string>()));
        Assert.Equal(before, await CountsAsync());
        Assert.Equal("0", (await BalanceAsync(member))["available"]!.GetValue<string>());
    }

    [Fact]
    public async Task AwardOverTheCaps_Returns422PointsLimitExceeded_PerEventAndPerMember_AndChangesNothing()
    {
        var member = await EnrolAsync("cap");
        await EnsureGiftRuleAsync(F.ProgramId, F.AdminKey);
        async Task<(HttpStatusCode, string?)> GiftAsync(string amount)
        {
            var r = await F.Api.PostAsync(F.P("/events"), F.AdminKey, new { type = "gift", memberId = member, eventId = "cap-" + Guid.NewGuid().ToString("N"), amount });
            return (r.Status, r.Body?["code"]?.GetValue<string>());
        }

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "POINTS_LIMIT_EXCEEDED"), await GiftAsync($"{MoneyFixture.MaxPointsPerEvent + 1}.00"));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Created, (await GiftAsync($"{MoneyFixture.MaxPointsPerEvent}.00")).Item1);
        var before = await CountsAsync();
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "POINTS_LIMIT_EXCEEDED"), await GiftAsync("1.00"));
        Assert.Equal(before, await CountsAsync());
        Assert.Equal(MoneyFixture.MaxPointsPerMember.ToString(), (await BalanceAsync(member))["available"]!.GetValue<string>());
    }

    /// <summary>
    /// Intents from before the caps whose sums overflow int64 (one wallet twice, and two wallets in one chunk): settlement
    /// cut batches that fit instead of throwing OverflowException on every run.
    /// </summary>
    [Fact]
    public async Task QueuedIntentsWhoseSumsOverflowInt64_AreCutIntoBatchesThatFit_InsteadOfThrowing()
    {
        await using var harness = await PipelineHarness.StartAsync(F.Chain.Chain.Node.RpcUrl, F.Chain.NewDatabase(), F.Chain.Keys);
        var program = await harness.WithDbAsync(async db =>
        {
            var p = new LoyaltyProgram
            {
                Name = "Overflow", PointName = "O", PointSymbol = "O", Status = ProgramStatus.Active, PointsContract = PipelineFixture.NewAddress(),
                OperatorAddress = F.Chain.Operator, CreatedAt = DateTime.UtcNow,
            };
            db.Add(p);
            await db.SaveChangesAsync();
            var (a, b) = (PipelineFixture.NewAddress().ToLowerInvariant(), PipelineFixture.NewAddress().ToLowerInvariant());
            const long big = 6_000_000_000_000_000_000;
            foreach (var (address, member) in new[] { (a, 1L), (a, 1L), (b, 2L) })
                db.Add(new MintIntent { ProgramId = p.Id, MemberId = member, Address = address, Amount = big, Status = IntentStatus.Queued, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            return p;
        });

        using var scope = harness.Services.CreateScope();
        var batches = await scope.ServiceProvider.GetRequiredService<SettlementService>().SettleProgramAsync(program, CancellationToken.None);

        Assert.Equal(3, batches);
        var cut = await harness.WithDbAsync(db => db.Set<SettlementBatch>().AsNoTracking().Where(x => x.ProgramId == program.Id).ToListAsync());
        Assert.All(cut, x => Assert.Equal(6_000_000_000_000_000_000, x.Total));
        Assert.Equal(0, await harness.WithDbAsync(db => db.Set<MintIntent>().CountAsync(i => i.ProgramId == program.Id && i.Status == IntentStatus.Queued)));
    }
}
