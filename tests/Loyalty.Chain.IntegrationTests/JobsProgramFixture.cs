using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>An Active program whose accruals settle at once and whose contracts are indexed every second.</summary>
public class JobsProgramFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Settlement:MaxIntentAge"] = "00:00:00",
        ["Indexer:Interval"] = "00:00:01",
    };

    private int _rule;

    /// <summary>Enrols <paramref name="memberId"/> and credits it <paramref name="points"/> (1 point per euro).</summary>
    public async Task EarnAsync(string memberId, int points)
    {
        if (Interlocked.Exchange(ref _rule, 1) == 0)
            Assert.Equal(HttpStatusCode.Created, (await Api.PostAsync(P("/rules"), AdminKey, new
            {
                name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 },
            })).Status);
        var enrolled = await Api.PostAsync(P("/members"), AdminKey, new { externalId = memberId });
        Assert.True(enrolled.Status is HttpStatusCode.Created or HttpStatusCode.OK, enrolled.Body?.ToJsonString());
        var sent = await Api.PostAsync(P("/events"), AdminKey, new { type = "purchase", memberId, eventId = $"order-{memberId}-{points}", amount = $"{points}.00" },
            $"k-{memberId}-{points}");
        Assert.True(sent.Status is HttpStatusCode.Created or HttpStatusCode.OK, sent.Body?.ToJsonString());
    }

    public async Task<T> WithDbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>True once the member's on-chain balance in the ledger is <paramref name="points"/>.</summary>
    public Task<bool> SettledAsync(string memberId, long points, TimeSpan timeout) => LoyaltyApi.EventuallyAsync(() => WithDbAsync(db =>
        (from m in db.Set<Member>() join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
         where m.ProgramId == ProgramId && m.ExternalId == memberId && b.OnChain == points select m).AnyAsync()), timeout);

    public Task<List<Alert>> AlertsAsync(string code) => WithDbAsync(db => db.Set<Alert>().AsNoTracking().Where(a => a.Code == code).ToListAsync());
}
