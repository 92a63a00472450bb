using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
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

    /// <summary>SQLite turns an int64 sum that overflows into a float without a word; the ledger must refuse the credit instead.</summary>
    [Fact]
    public async Task CreditThatWouldOverflowABalance_IsRefusedWithPointsLimitExceeded_AndTheBalanceStaysExact()
    {
        await using var harness = await PipelineHarness.StartAsync(F.Chain.Chain.Node.RpcUrl, F.Chain.NewDatabase(), F.Chain.Keys);
        const long nearMax = long.MaxValue - 5;
        var memberId = await harness.WithDbAsync(async db =>
        {
            var m = new Member { ProgramId = 1, ExternalId = "near-max", WalletAddress = PipelineFixture.NewAddress().ToLowerInvariant(), CreatedAt = DateTime.UtcNow };
            db.Add(m);
            await db.SaveChangesAsync();
            db.Add(new MemberBalance { MemberId = m.Id, ProgramId = 1, Available = nearMax });
            await db.SaveChangesAsync();
            return m.Id;
        });

        using var scope = harness.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var ledger = scope.ServiceProvider.GetRequiredService<LedgerWriter>();
        var refused = await Assert.ThrowsAsync<LoyaltyException>(() => db.InWriteTransactionAsync(c =>
            ledger.PostAsync(1, memberId, EntryKind.Adjustment, LedgerAccount.Issuance, LedgerAccount.Available, 10, new LedgerWriter.Refs(), c),
            CancellationToken.None));

        Assert.Equal("POINTS_LIMIT_EXCEEDED", refused.Code);
        Assert.Equal(nearMax, await harness.WithDbAsync(d => d.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == memberId).Select(b => b.Available).SingleAsync()));
        Assert.Equal(0, await harness.WithDbAsync(d => d.Set<LedgerEntry>().CountAsync(e => e.MemberId == memberId)));
    }
}
