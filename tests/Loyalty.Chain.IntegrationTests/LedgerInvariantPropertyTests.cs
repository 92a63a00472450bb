using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A 2-second return window: some returns claw back pending points, later ones hit available (or spent) points.</summary>
public sealed class InvariantProgramFixture : ProgramFixture
{
    protected override long PendingPeriodSeconds => 2;
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string> { ["Wallets:WithdrawalCoolOff"] = "00:00:00" };
}

/// <summary>
/// Property tests: seeded random sequences of earn, return, grant, deduct, redeem, cancel, expire, return-policy and
/// tier-policy changes (a Gold multiplier),
/// through the API on a real node and a real SQLite file. After every step the books must hold: each cached balance
/// equals the sum of its entries, nothing is negative, the lots add up to the available balance, every posting sums to
/// zero. At the end, once everything settled and burned, the ledger equals the chain.
/// </summary>
public sealed class LedgerInvariantPropertyTests(InvariantProgramFixture f) : IClassFixture<InvariantProgramFixture>
{
    private sealed record Purchase(string Member, string OrderId, long Cents);

    [Theory]
    [InlineData(11)]
    [InlineData(29)]
    public async Task RandomSequences_KeepTheBooksBalanced_AndTheLedgerEqualToTheChain(int seed)
    {
        var random = new Random(seed);
        await EnsureSetupAsync();
        var members = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = $"inv-{seed}-{i}-{Guid.NewGuid().ToString("N")[..6]}";
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
            members.Add(id);
        }
        var purchases = new List<Purchase>();
        var redemptions = new List<long>();
        var rewards = (await f.Api.GetAsync(f.P("/rewards"), f.AdminKey)).Body!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ToList();
        var log = new List<string>();

        for (var step = 0; step < 45; step++)
        {
            var m = members[random.Next(members.Count)];
            var op = random.Next(100);
            (HttpStatusCode Status, JsonNode? Body, HttpResponseMessage _) r;
            string what;
            if (op < 30)
            {
                var cents = random.Next(1, 120) * 100L;
                var order = $"o-{seed}-{step}";
                r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = m, eventId = order, amount = $"{cents / 100}.00" });
                if (r.Status == HttpStatusCode.Created) purchases.Add(new Purchase(m, order, cents));
                what = $"buy {cents / 100}";
            }
            else if (op < 42 && purchases.Count > 0)
            {
                var p = purchases[random.Next(purchases.Count)];
                var part = random.Next(2) == 0 ? null : $"{random.Next(1, (int)(p.Cents / 100) + 1)}.00";
                r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = p.Member, eventId = $"r-{seed}-{step}", orderId = p.OrderId, amount = part });
                m = p.Member;
                what = $"return {p.OrderId} {part ?? "all"}";
            }
            else if (op < 52)
            {
                r = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, new { type = "grant", points = random.Next(1, 60).ToString(), reason = "goodwill" });
                what = "grant";
            }
            else if (op < 62)
            {
                r = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, new { type = "deduct", points = random.Next(1, 90).ToString(), reason = "correction" });
                what = "deduct";
            }
            else if (op < 76)
            {
                r = await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = rewards[random.Next(rewards.Count)] });
                if (r.Status == HttpStatusCode.Created) redemptions.Add(r.Body!["id"]!.GetValue<long>());
                what = "redeem";
            }
            else if (op < 84 && redemptions.Count > 0)
            {
                r = await f.Api.PostAsync(f.P($"/redemptions/{redemptions[random.Next(redemptions.Count)]}/cancel"), f.AdminKey, null);
                what = "cancel";
            }
            else if (op < 90)
            {
                await Patch(new { expiry = new { policy = "fixed", days = 0 }, returns = random.Next(2) == 0 ? "keep" : "clawback" });
                r = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
                await Patch(new { expiry = new { policy = "none" } });
                what = "expire";
            }
            else if (op < 93)
            {
                r = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { returns = random.Next(2) == 0 ? "keep" : "clawback" });
                what = "return policy";
            }
            else if (op < 96)
            {
                // Tier changes: a new policy re-evaluates everyone; Gold's multiplier changes what later events earn.
                var gold = random.Next(30, 200);
                var byPoints = random.Next(2) == 0;
                r = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, new
                {
                    metric = byPoints ? "points_earned" : "money_spent", window = "lifetime", downgrade = random.Next(2) == 0 ? "never" : "one_down",
                    levels = new object[] { new { name = "Base", threshold = "0" }, new { name = "Gold", threshold = (byPoints ? gold : gold * 100).ToString(), multiplierPercent = 150 } },
                });
                what = $"tiers gold at {gold}";
            }
            else
            {
                r = await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
                what = "settle";
            }
            log.Add($"{step}: {what} {m} -> {(int)r.Status} {r.Body?["code"]}");
            Assert.True((int)r.Status < 500, $"server error at step {step}: {string.Join('\n', log)}\n{r.Body}");
            await AssertBooksBalancedAsync(string.Join('\n', log));
            if (random.Next(4) == 0) await Task.Delay(random.Next(200, 1500)); // let maturation, settlement and burns interleave
        }

        // Drain: everything pending matures, every mint and burn lands; then the chain must match the books.
        await Task.Delay(3000);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
            return await DbAsync(async db =>
            {
                var ids = await MemberIdsAsync(db, members);
                var balances = await db.Set<MemberBalance>().AsNoTracking().Where(b => ids.Contains(b.MemberId)).ToListAsync();
                var open = await db.Set<Redemption.Redemption>().AnyAsync(x => ids.Contains(x.MemberId)
                    && (x.Status == Redemption.RedemptionStatus.Reserved || x.Status == Redemption.RedemptionStatus.Burning));
                return !open && balances.All(b => b.Pending == 0 && b.OnChain == b.Available + b.Reserved);
            });
        }, TimeSpan.FromSeconds(120)), "the books did not settle:\n" + string.Join('\n', log));
        await AssertBooksBalancedAsync(string.Join('\n', log));
        var reconciliation = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(reconciliation.Body!["reconciled"]!.GetValue<bool>(), $"ledger != chain: {reconciliation.Body}\n{string.Join('\n', log)}");
    }

    private async Task Patch(object body) =>
        Assert.Equal(HttpStatusCode.OK, (await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, body)).Status);

    private async Task EnsureSetupAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Count > 0) return;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        foreach (var cost in new[] { 5, 25, 60 })
            await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = $"item {cost}", cost = cost.ToString() });
    }

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    private static Task<List<long>> MemberIdsAsync(LoyaltyDbContext db, IReadOnlyCollection<string> externalIds) =>
        db.Set<Member>().Where(m => externalIds.Contains(m.ExternalId)).Select(m => m.Id).ToListAsync();

    /// <summary>The invariants of the whole program's books (every member, not only this sequence's).</summary>
    private Task AssertBooksBalancedAsync(string log) => DbAsync(db => db.InReadSnapshotAsync(async _ =>
    {
        // One snapshot for all the reads: the pipeline's jobs keep committing meanwhile (maturation, burns), and each
        // statement outside a transaction would see a later state than the one before it (on SQLite too: a loaded run
        // read the entries before a maturation and the balances after it).
        var entries = await db.Set<LedgerEntry>().AsNoTracking().Where(e => e.ProgramId == f.ProgramId)
            .Select(e => new { e.PostingId, e.MemberId, e.Account, e.Amount }).ToListAsync();
        Assert.All(entries.GroupBy(e => e.PostingId), p => Assert.True(p.Sum(e => e.Amount) == 0, $"posting {p.Key} does not sum to zero\n{log}"));
        var balances = await db.Set<MemberBalance>().AsNoTracking().Where(b => b.ProgramId == f.ProgramId).ToListAsync();
        var lots = await db.Set<PointLot>().AsNoTracking().Where(l => l.ProgramId == f.ProgramId).ToListAsync();
        foreach (var b in balances)
        {
            long Sum(LedgerAccount a) => entries.Where(e => e.MemberId == b.MemberId && e.Account == a).Sum(e => e.Amount);
            Assert.True((b.Pending, b.Available, b.Reserved) == (Sum(LedgerAccount.Pending), Sum(LedgerAccount.Available), Sum(LedgerAccount.Reserved)),
                $"member {b.MemberId}: cached {b.Pending}/{b.Available}/{b.Reserved} != entries {Sum(LedgerAccount.Pending)}/{Sum(LedgerAccount.Available)}/{Sum(LedgerAccount.Reserved)}\n{log}");
            Assert.True(b is { Pending: >= 0, Available: >= 0, Reserved: >= 0, OnChain: >= 0 }, $"member {b.MemberId} has a negative balance\n{log}");
            var mine = lots.Where(l => l.MemberId == b.MemberId).ToList();
            Assert.True(mine.Sum(l => l.Remaining) == b.Available, $"member {b.MemberId}: lots hold {mine.Sum(l => l.Remaining)}, available is {b.Available}\n{log}");
            Assert.All(mine, l => Assert.InRange(l.Remaining, 0, l.Amount));
        }
        return true;
    }, CancellationToken.None));
}
