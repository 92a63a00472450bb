using System.Diagnostics;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record RedeemFigures(int Requests, int Ok, int Errors, double P50Ms, double P99Ms, double MaxMs, double Seconds, IReadOnlyList<string> ErrorSamples);

/// <summary>
/// N redemptions released at the same instant, by N distinct members who hold available points (the settled
/// members), of one catalog reward, through the API with a shop key and one Idempotency-Key each.
/// </summary>
public static class RedemptionPhase
{
    public const long Cost = 10;

    public static async Task<RedeemFigures> RunAsync(BenchProgram program, int members, int requests, Action<string> log, CancellationToken ct)
    {
        if (requests > members) throw new ArgumentException($"{requests} redemptions need as many members, the program has {members}");
        var reward = await program.Api.PostAsync(program.P("/rewards"), program.AdminKey, new
        {
            type = "DiscountCoupon", name = "Bench coupon", cost = Cost.ToString(), perMemberLimit = 1,
        }, ct);
        var rewardId = reward["id"]!.GetValue<long>();
        var body = new { rewardId };
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var tasks = Enumerable.Range(0, requests).Select(async Task<(bool Ok, double Ms, string? Error)> (i) =>
        {
            var member = BenchProgram.MemberId(i);
            await go.Task;
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                var r = await program.Api.SendAsync(HttpMethod.Post, program.P($"/members/{member}/redemptions"), program.ShopKey, body,
                    $"redeem-{tag}-{i}", ct);
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                return r.IsSuccess ? (true, ms, null) : (false, ms, Purchases.Describe(r.Status, r.Text));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return (false, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, ex.GetType().Name + ": " + ex.Message);
            }
        }).ToList();
        log($"redeem: {requests} members redeem reward #{rewardId} ({Cost} points) at once");
        var clock = Stopwatch.StartNew();
        go.SetResult();
        var results = await Task.WhenAll(tasks);
        var seconds = clock.Elapsed.TotalSeconds;
        var ok = results.Where(r => r.Ok).Select(r => r.Ms).Order().ToArray();
        var samples = results.Where(r => !r.Ok).Select(r => r.Error!).Distinct().Take(5).ToList();
        var figures = new RedeemFigures(requests, ok.Length, requests - ok.Length, Load.Percentile(ok, 50), Load.Percentile(ok, 99),
            ok.Length == 0 ? 0 : ok[^1], seconds, samples);
        log($"redeem: {figures.Ok} ok, {figures.Errors} errors in {seconds:F2} s, p50 {figures.P50Ms:F1} ms, p99 {figures.P99Ms:F1} ms" +
            (samples.Count > 0 ? "; errors: " + string.Join(" | ", samples) : ""));
        return figures;
    }
}
