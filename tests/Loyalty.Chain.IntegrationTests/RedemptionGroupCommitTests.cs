using System.Diagnostics.Metrics;
using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Redemptions through the group-commit writer (issue 16): many at once share transactions, and stock, balance and
/// idempotency hold exactly as when each had its own.
/// </summary>
public sealed class RedemptionGroupCommitTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private async Task<string> MemberWithPointsAsync(long points)
    {
        var id = "gc-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        var grant = await f.Api.PostAsync(f.P($"/members/{id}/adjustments"), f.AdminKey, new { type = "grant", points = points.ToString(), reason = "goodwill" }, "g-" + id);
        Assert.True(grant.Status == HttpStatusCode.Created, grant.Body?.ToJsonString());
        return id;
    }

    private async Task<long> RewardAsync(long cost, int? stock = null)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = $"gc coupon {cost}", cost = cost.ToString(), stock });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task<(string Available, string Reserved)> BalanceAsync(string member)
    {
        var b = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        return (b["available"]!.GetValue<string>(), b["reserved"]!.GetValue<string>());
    }

    [Fact]
    public async Task ThirtyAtOnce_OfARewardWithTwelveInStock_IssueExactlyTwelve_InSharedTransactions()
    {
        var members = new List<string>();
        for (var i = 0; i < 30; i++) members.Add(await MemberWithPointsAsync(50));
        var reward = await RewardAsync(10, stock: 12);
        var largest = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Loyalty.Chain" && instrument.Name == "loyalty.groupcommit.batch.size") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) => { lock (members) largest = Math.Max(largest, size); });
        listener.Start();

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = members.Select(async m =>
        {
            await go.Task;
            return (Member: m, Result: await f.Api.PostAsync(f.P($"/members/{m}/redemptions"), f.AdminKey, new { rewardId = reward }, "gc-" + m));
        }).ToList();
        go.SetResult();
        var results = await Task.WhenAll(tasks);

        var won = results.Where(r => r.Result.Status == HttpStatusCode.Created).ToList();
        Assert.Equal(12, won.Count);
        Assert.All(results.Except(won), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Result.Status);
            Assert.Equal("OUT_OF_STOCK", r.Result.Body!["code"]!.GetValue<string>());
        });
        Assert.Equal(12, won.Select(r => r.Result.Body!["couponCode"]!.GetValue<string>()).Distinct().Count());
        foreach (var (m, _) in won) Assert.Equal(("40", "10"), await BalanceAsync(m));
        foreach (var (m, _) in results.Except(won)) Assert.Equal(("50", "0"), await BalanceAsync(m));
        // The refused ones changed nothing: their keys are free, and a retry is refused the same way, not replayed.
        var retry = await f.Api.PostAsync(f.P($"/members/{results.Except(won).First().Member}/redemptions"), f.AdminKey, new { rewardId = reward },
            "gc-" + results.Except(won).First().Member);
        Assert.Equal("OUT_OF_STOCK", retry.Body!["code"]!.GetValue<string>());
        listener.RecordObservableInstruments();
        Assert.True(largest > 1, $"30 redemptions at once never shared a transaction (largest group {largest})");
    }

    [Fact]
    public async Task OneMemberAtOnce_FiveDistinctKeysForTwoRedemptionsWorth_TwoSucceed_AndTheSameKeyFiveTimes_RedeemsOnce()
    {
        var member = await MemberWithPointsAsync(25);
        var reward = await RewardAsync(10);
        var distinct = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, $"gc-{member}-{i}")));
        Assert.Equal(2, distinct.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(distinct.Where(r => r.Status != HttpStatusCode.Created), r => Assert.Equal("INSUFFICIENT_POINTS", r.Body!["code"]!.GetValue<string>()));
        Assert.Equal(("5", "20"), await BalanceAsync(member));

        var other = await MemberWithPointsAsync(25);
        var same = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            f.Api.PostAsync(f.P($"/members/{other}/redemptions"), f.AdminKey, new { rewardId = reward }, $"gc-same-{other}")));
        Assert.All(same, r => Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{r.Status} {r.Body}"));
        Assert.Single(same, r => r.Status == HttpStatusCode.Created);
        Assert.Single(same.Select(r => r.Body!["id"]!.GetValue<long>()).Distinct());
        Assert.All(same.Where(r => r.Status == HttpStatusCode.OK), r => Assert.Equal("true", r.Response.Headers.GetValues("Idempotent-Replayed").Single()));
        Assert.Equal(("15", "10"), await BalanceAsync(other));
        // The same key with another body: 422, nothing changed.
        var reused = await f.Api.PostAsync(f.P($"/members/{other}/redemptions"), f.AdminKey, new { rewardId = reward + 1000 }, $"gc-same-{other}");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "IDEMPOTENCY_KEY_REUSED"), (reused.Status, reused.Body!["code"]!.GetValue<string>()));
        Assert.Equal(("15", "10"), await BalanceAsync(other));
    }
}
