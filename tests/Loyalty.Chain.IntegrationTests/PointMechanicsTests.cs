using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// A program whose queued mints wait for an explicit settlement run (the recurring pass only settles intents older than
/// an hour), so a test decides whether points are still unminted or already on chain.
/// </summary>
public sealed class ManualSettlementProgramFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Settlement:MaxIntentAge"] = "01:00:00",
        ["Wallets:WithdrawalCoolOff"] = "00:00:00",
    };
}

/// <summary>Adjustments, the return clawback policy, point lots and expiry, against a real node and a real SQLite file.</summary>
public sealed class PointMechanicsTests(ManualSettlementProgramFixture f) : IClassFixture<ManualSettlementProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private LoyaltyPointsService Points => new(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());

    private async Task PolicyAsync(object expiry, string returns = "keep")
    {
        var r = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { expiry, returns });
        Assert.True(r.Status == HttpStatusCode.OK, $"PATCH refused: {r.Status} {r.Body}");
    }

    private async Task<string> EnrolAsync()
    {
        var id = "pm-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return id;
    }

    private async Task EnsureRulesAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase")) return;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
    }

    /// <summary>A purchase of <paramref name="euros"/> (1 point per euro), optionally settled until the points are on chain.</summary>
    private async Task<JsonNode> BuyAsync(string member, long euros, bool settle, string? orderId = null)
    {
        await EnsureRulesAsync();
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = orderId ?? "o-" + Guid.NewGuid().ToString("N")[..10], amount = $"{euros}.00" });
        Assert.True(e.Status == HttpStatusCode.Created, $"{e.Status} {e.Body}");
        if (settle) await SettleAsync(member);
        return e.Body!;
    }

    private async Task SettleAsync(string member)
    {
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var settled = await LoyaltyApi.EventuallyAsync(async () =>
        {
            var b = (await MemberAsync(member))["balance"]!;
            return b["onChain"]!.GetValue<string>() == (long.Parse(b["available"]!.GetValue<string>()) + long.Parse(b["reserved"]!.GetValue<string>())).ToString();
        }, Wait);
        Assert.True(settled, $"{member}'s points did not settle: {(await MemberAsync(member))["balance"]}{await PipelineDiagnostics.DescribeAsync(f.Factory.Services)}");
    }

    private async Task<JsonNode> MemberAsync(string member) => (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!;
    private async Task<string> WalletAsync(string member) => (await MemberAsync(member))["walletAddress"]!.GetValue<string>();
    private static string S(JsonNode n, string field) => n[field]!.GetValue<string>();

    private async Task WaitBurnAsync(long burnId)
    {
        JsonNode? last = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            last = (await f.Api.GetAsync(f.P($"/redemptions/{burnId}"), f.AdminKey)).Body!;
            return last["status"]!.GetValue<string>() == "Completed";
        }, Wait), $"burn {burnId} never completed: {last}");
    }

    private async Task AssertReconciledAsync()
    {
        var r = await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null);
        Assert.True(r.Body!["reconciled"]!.GetValue<bool>(), $"ledger != chain: {r.Body}");
    }

    private async Task<List<JsonNode>> HistoryAsync(string member) =>
        (await f.Api.GetAsync(f.P($"/members/{member}/history?limit=200"), f.AdminKey)).Body!["items"]!.AsArray().Select(x => x!).ToList();

    [Fact]
    public async Task Grant_IsAvailableAtOnce_MintsLikeAnAccrual_IsIdempotent_AndShowsInHistory()
    {
        await PolicyAsync(new { policy = "none" });
        var m = await EnrolAsync();
        var body = new { type = "grant", points = "50", reason = "goodwill", comment = "late delivery" };
        var first = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, body, "grant-" + m);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal("50", S(first.Body!, "applied"));
        var replay = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, body, "grant-" + m);
        Assert.Equal(first.Body!["id"]!.GetValue<long>(), replay.Body!["id"]!.GetValue<long>());
        Assert.Equal("50", S((await MemberAsync(m))["balance"]!, "available"));

        await SettleAsync(m);
        Assert.Equal(new BigInteger(50), await Points.BalanceOfQueryAsync(await WalletAsync(m)));
        var grant = Assert.Single(await HistoryAsync(m), h => S(h, "kind") == "Grant" && S(h, "account") == "Available");
        Assert.Contains("goodwill", S(grant, "note"));
        var list = (await f.Api.GetAsync(f.P($"/members/{m}/adjustments"), f.AdminKey)).Body!.AsArray();
        Assert.Equal("late delivery", Assert.Single(list)!["comment"]!.GetValue<string>());
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task Deduct_BurnsMintedPointsWithTheCustodialSignature_NeverBelowZero_AndReportsTheShortfall()
    {
        await PolicyAsync(new { policy = "none" });
        var m = await EnrolAsync();
        await BuyAsync(m, 100, settle: true);
        var wallet = await WalletAsync(m);

        var d = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, new { type = "deduct", points = "130", reason = "fraud" });
        Assert.Equal(HttpStatusCode.Created, d.Status);
        Assert.Equal("100", S(d.Body!, "applied"));
        Assert.Equal("30", S(d.Body!, "shortfall"));
        Assert.Equal("100", S(d.Body!, "burned"));
        await WaitBurnAsync(d.Body!["burnId"]!.GetValue<long>());

        Assert.Equal(BigInteger.Zero, await Points.BalanceOfQueryAsync(wallet));
        var b = (await MemberAsync(m))["balance"]!;
        Assert.Equal(("0", "0", "0"), (S(b, "available"), S(b, "reserved"), S(b, "onChain")));
        Assert.Contains(await HistoryAsync(m), h => S(h, "kind") == "Deduct" && S(h, "account") == "Reserved" && S(h, "amount") == "-100");
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task Deduct_OfPointsNotYetMinted_CancelsTheMint()
    {
        await PolicyAsync(new { policy = "none" });
        var m = await EnrolAsync();
        await BuyAsync(m, 80, settle: false);
        var d = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, new { type = "deduct", points = "30", reason = "correction" });
        Assert.Equal(("30", "30", "0", "0"), (S(d.Body!, "applied"), S(d.Body!, "cancelledBeforeMint"), S(d.Body!, "burned"), S(d.Body!, "shortfall")));

        await SettleAsync(m);
        Assert.Equal(new BigInteger(50), await Points.BalanceOfQueryAsync(await WalletAsync(m)));
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task Deduct_FromASelfCustodyMember_TakesOnlyWhatIsNotMintedYet_TheWalletsPointsAreTheirs()
    {
        await PolicyAsync(new { policy = "none" });
        var own = "pm-sc-" + Guid.NewGuid().ToString("N")[..8];
        var (wallet, custodial) = await AssetMoveSupport.MemberWithPointsAsync(f, own, 15);
        await BuyAsync(own, 10, settle: false); // queued for minting to the member's own wallet
        var d = await f.Api.PostAsync(f.P($"/members/{own}/adjustments"), f.AdminKey, new { type = "deduct", points = "20", reason = "correction" });
        Assert.Equal(("10", "10", "0", "10"), (S(d.Body!, "applied"), S(d.Body!, "cancelledBeforeMint"), S(d.Body!, "burned"), S(d.Body!, "shortfall")));
        Assert.Equal("15", S((await MemberAsync(own))["balance"]!, "available"));
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        await Task.Delay(3000);
        Assert.Equal(BigInteger.Zero, await Points.BalanceOfQueryAsync(wallet));
        Assert.Equal(new BigInteger(15), await Points.BalanceOfQueryAsync(custodial));
    }

    [Fact]
    public async Task AdjustmentValidation_IsRefusedWithStableCodes_AndChangesNothing()
    {
        var m = await EnrolAsync();
        foreach (var (body, code) in new (object, string)[]
                 {
                     (new { type = "gift", points = "5", reason = "goodwill" }, "INVALID_ADJUSTMENT_TYPE"),
                     (new { type = "grant", points = "-5", reason = "goodwill" }, "INVALID_POINTS"),
                     (new { type = "grant", points = "0", reason = "goodwill" }, "INVALID_POINTS"),
                     (new { type = "grant", points = "1.5", reason = "goodwill" }, "INVALID_POINTS"),
                     (new { type = "grant", points = "5", reason = "Good Will!" }, "INVALID_REASON"),
                     (new { type = "grant", points = "5", reason = "goodwill", comment = new string('x', 501) }, "INVALID_COMMENT"),
                 })
        {
            var r = await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), f.AdminKey, body);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(code, S(r.Body!, "code"));
        }
        var shop = await AssetMoveSupport.KeyAsync(f, "shop");
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Api.PostAsync(f.P($"/members/{m}/adjustments"), shop, new { type = "grant", points = "5", reason = "goodwill" })).Status);
        Assert.Empty((await f.Api.GetAsync(f.P($"/members/{m}/adjustments"), f.AdminKey)).Body!.AsArray());
        Assert.Equal("0", S((await MemberAsync(m))["balance"]!, "available"));
    }

    [Fact]
    public async Task ReturnAfterTheWindow_KeepPolicy_LeavesThePoints_ClawbackPolicy_TakesThemBack_AndRecordsTheShortfall()
    {
        await PolicyAsync(new { policy = "none" }, returns: "keep");
        var kept = await EnrolAsync();
        await BuyAsync(kept, 40, settle: true, orderId: "keep-" + kept);
        var r1 = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = kept, eventId = "ret-" + kept, orderId = "keep-" + kept });
        Assert.Equal(("0", "40"), (S(r1.Body!, "clawedBack"), S(r1.Body!, "notRecoverable")));
        Assert.Equal("40", S((await MemberAsync(kept))["balance"]!, "available"));

        await PolicyAsync(new { policy = "none" }, returns: "clawback");
        var m = await EnrolAsync();
        await BuyAsync(m, 100, settle: true, orderId: "cb-" + m);
        // 80 of the 100 are spent on a reward: only 20 can be clawed back.
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "80 off", cost = "80" });
        var redeemed = await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() });
        Assert.Equal(HttpStatusCode.Created, redeemed.Status);
        var ret = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "ret-" + m, orderId = "cb-" + m });
        Assert.Equal(HttpStatusCode.Created, ret.Status);
        Assert.Equal(("20", "80", "clawed_back"), (S(ret.Body!, "clawedBack"), S(ret.Body!, "notRecoverable"), S(ret.Body!, "status")));
        // The same return again is a replay, with the same figures.
        var again = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "ret-" + m, orderId = "cb-" + m });
        Assert.Equal(("20", "80"), (S(again.Body!, "clawedBack"), S(again.Body!, "notRecoverable")));

        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            var b = (await MemberAsync(m))["balance"]!;
            return S(b, "available") == "0" && S(b, "reserved") == "0" && S(b, "onChain") == "0";
        }, Wait), "the clawback and the reward's burn did not complete");
        Assert.Equal(BigInteger.Zero, await Points.BalanceOfQueryAsync(await WalletAsync(m)));
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task CancelledRedemption_WithoutAnIdempotencyKey_WritesItsReleaseEntries_AndGivesThePointsBackToTheirLots()
    {
        await PolicyAsync(new { policy = "none" });
        var m = await EnrolAsync();
        await BuyAsync(m, 30, settle: false);
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = "12 pts", cost = "12" });
        var redeemed = await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() });
        var cancelled = await f.Api.PostAsync(f.P($"/redemptions/{redeemed.Body!["id"]!.GetValue<long>()}/cancel"), f.AdminKey, null);
        Assert.Equal("Cancelled", S(cancelled.Body!, "status"));

        var history = await HistoryAsync(m);
        Assert.Contains(history, h => S(h, "kind") == "Release" && S(h, "account") == "Available" && S(h, "amount") == "12");
        var available = history.Where(h => S(h, "account") == "Available").Sum(h => long.Parse(S(h, "amount")));
        Assert.Equal("30", S((await MemberAsync(m))["balance"]!, "available"));
        Assert.Equal(30, available);
    }

    [Fact]
    public async Task Refund_AfterTheBurn_OpensANewLotCarriedByTheNewMint_NotTheOldSpentOne()
    {
        await PolicyAsync(new { policy = "none" });
        var m = await EnrolAsync();
        await BuyAsync(m, 40, settle: true);
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = "25 pts", cost = "25" });
        var redeemed = await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() });
        var id = redeemed.Body!["id"]!.GetValue<long>();
        await WaitBurnAsync(id);
        Assert.Equal("Refunded", S((await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null)).Body!, "status"));

        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Loyalty.Chain.Ledger.LoyaltyDbContext>();
        var memberId = await db.Set<Loyalty.Chain.Members.Member>().Where(x => x.ExternalId == m).Select(x => x.Id).SingleAsync();
        var lots = await db.Set<Loyalty.Chain.Ledger.PointLot>().AsNoTracking().Where(l => l.MemberId == memberId).OrderBy(l => l.Id).ToListAsync();
        var refundLot = lots[^1];
        Assert.Equal((25L, 25L, "Adjustment"), (refundLot.Amount, refundLot.Remaining, refundLot.Source));
        var intent = await db.Set<Loyalty.Chain.Settlement.MintIntent>().AsNoTracking().SingleAsync(i => i.Id == refundLot.MintIntentId);
        Assert.Equal(25, intent.Amount);
        Assert.Equal(15, lots[0].Remaining); // the purchase's lot stays spent
        await SettleAsync(m);
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task Spending_TakesTheLotsThatExpireSoonestFirst()
    {
        var m = await EnrolAsync();
        await PolicyAsync(new { policy = "fixed", days = 20 });
        await BuyAsync(m, 50, settle: false); // lot A: expires in 20 days
        await PolicyAsync(new { policy = "none" });
        await BuyAsync(m, 40, settle: false); // lot B: never expires
        await PolicyAsync(new { policy = "fixed", days = 5 });
        await BuyAsync(m, 30, settle: false); // lot C: expires in 5 days
        await SettleAsync(m);

        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = "60 pts", cost = "60" });
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() })).Status);

        // C (5 days) is spent whole, then 30 of A (20 days); B (never) is untouched.
        var soon = (await MemberAsync(m))["expiringSoon"]!.AsArray();
        var only = Assert.Single(soon)!;
        Assert.Equal("20", S(only, "amount"));
        Assert.InRange(only["at"]!.GetValue<DateTime>().ToUniversalTime(), DateTime.UtcNow.AddDays(19), DateTime.UtcNow.AddDays(21));
        await PolicyAsync(new { policy = "none" });
    }

    [Fact]
    public async Task FixedExpiry_BurnsMintedCustodialPoints_CancelsUnmintedOnes_AndTheLedgerStillEqualsTheChain()
    {
        await PolicyAsync(new { policy = "none" });
        var minted = await EnrolAsync();
        var unminted = await EnrolAsync();
        await PolicyAsync(new { policy = "fixed", days = 0 });
        await BuyAsync(minted, 70, settle: true);
        await BuyAsync(unminted, 40, settle: false);

        var run = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, run.Status);
        await PolicyAsync(new { policy = "none" });
        Assert.True(long.Parse(S(run.Body!, "expired")) >= 110, run.Body!.ToJsonString());

        Assert.Contains(await HistoryAsync(minted), h => S(h, "kind") == "Expire" && S(h, "account") == "Available" && S(h, "amount") == "-70");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => S((await MemberAsync(minted))["balance"]!, "onChain") == "0", Wait), "the expiry burn did not complete");
        Assert.Equal(BigInteger.Zero, await Points.BalanceOfQueryAsync(await WalletAsync(minted)));
        // Burned: the reservation is retired.
        Assert.Contains(await HistoryAsync(minted), h => S(h, "kind") == "Expire" && S(h, "account") == "Reserved" && S(h, "amount") == "-70");

        // Cancelled before minting: a settlement run mints nothing to this member.
        var cancelled = await HistoryAsync(unminted);
        Assert.Contains(cancelled, h => S(h, "kind") == "Expire" && S(h, "account") == "Available" && S(h, "amount") == "-40");
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        await Task.Delay(3000);
        Assert.Equal(BigInteger.Zero, await Points.BalanceOfQueryAsync(await WalletAsync(unminted)));
        Assert.Equal("0", S((await MemberAsync(unminted))["balance"]!, "available"));
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task InactivityExpiry_TakesTheWholeBalance_ButNeverAMemberWithASelfCustodyWallet()
    {
        await PolicyAsync(new { policy = "none" });
        var custodial = await EnrolAsync();
        await BuyAsync(custodial, 25, settle: true);
        var own = "pm-own-" + Guid.NewGuid().ToString("N")[..8];
        var (ownWallet, _) = await AssetMoveSupport.MemberWithPointsAsync(f, own, 15);
        // Earned after the link: minted straight to the member's own wallet, not yet minted when the expiry runs.
        await BuyAsync(own, 10, settle: false);

        await PolicyAsync(new { policy = "inactivity", days = 0 });
        Assert.Equal("25", S(Assert.Single((await MemberAsync(custodial))["expiringSoon"]!.AsArray())!, "amount"));
        Assert.Empty((await MemberAsync(own))["expiringSoon"]!.AsArray());
        var run = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
        await PolicyAsync(new { policy = "none" });
        Assert.Equal(HttpStatusCode.OK, run.Status);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => S((await MemberAsync(custodial))["balance"]!, "onChain") == "0", Wait));
        Assert.Equal("0", S((await MemberAsync(custodial))["balance"]!, "available"));
        Assert.Equal("25", S((await MemberAsync(own))["balance"]!, "available"));
        Assert.DoesNotContain(await HistoryAsync(own), h => S(h, "kind") == "Expire");
        await AssertReconciledAsync();
    }

    [Fact]
    public async Task ProgramPolicyPatch_RefusesBadValuesWithStableCodes_AndChangesNothing()
    {
        await PolicyAsync(new { policy = "fixed", months = 12, roundToMonthEnd = true });
        foreach (var (body, code) in new (object, string)[]
                 {
                     (new { expiry = new { policy = "sometimes" } }, "INVALID_EXPIRY_POLICY"),
                     (new { expiry = new { policy = "fixed" } }, "INVALID_EXPIRY_PERIOD"),
                     (new { expiry = new { policy = "fixed", months = 0 } }, "INVALID_EXPIRY_PERIOD"),
                     (new { expiry = new { policy = "fixed", months = 3, days = 3 } }, "INVALID_EXPIRY_PERIOD"),
                     (new { expiry = new { policy = "inactivity", months = 6, roundToMonthEnd = true } }, "INVALID_EXPIRY_POLICY"),
                     (new { returns = "maybe" }, "INVALID_RETURN_POLICY"),
                 })
        {
            var r = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, body);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(code, S(r.Body!, "code"));
        }
        var ok = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { expiry = new { policy = "none" } });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal("none", ok.Body!["expiry"]!["policy"]!.GetValue<string>());
    }
}
