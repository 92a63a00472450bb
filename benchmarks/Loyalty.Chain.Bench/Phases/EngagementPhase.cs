using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

/// <summary>One measured window of the engagement phase.</summary>
public sealed record EngagementWindow(bool Engagement, LoadResult Load, double CpuSeconds, string? LoadAverage)
{
    public double CpuMsPerEvent => Load.Ok > 0 ? CpuSeconds * 1000 / Load.Ok : 0;
}

public sealed record EngagementFigures(IReadOnlyList<EngagementWindow> Windows, int Members, int Clients, double WindowSeconds)
{
    public double PerSecond(bool on) => Windows.Where(w => w.Engagement == on).Average(w => w.Load.PerSecond);

    /// <summary>CPU per event over all windows of one side: total CPU over total events.</summary>
    public double CpuMsPerEvent(bool on) =>
        Windows.Where(w => w.Engagement == on).Sum(w => w.CpuSeconds) * 1000 / Math.Max(1, Windows.Where(w => w.Engagement == on).Sum(w => w.Load.Ok));

    public double P99Ms(bool on) => Windows.Where(w => w.Engagement == on).Max(w => w.Load.P99Ms);
}

/// <summary>
/// What issue 13's features cost on the intake path, measured A/B in one API process: two programs, the bench program
/// with and without its engagement features (segment-conditioned rule, two challenges, referral policy; both have the
/// rules, expiry and tiers), and windows of intake alternating between them in the order off, on, on, off, off, on...
/// so drift of the machine's load falls on both sides alike. Each window also reads the API process's CPU time.
/// </summary>
public static class EngagementPhase
{
    public static async Task<EngagementFigures> RunAsync(ApiServer server, string rootKey, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        var api = server.Client;
        // A real return window (14 days), as in the intake phase: nothing settles behind the measurement.
        var off = await BenchProgram.CreateAsync(api, rootKey, "Bench engagement off", 1_209_600, ct, engagement: false);
        var on = await BenchProgram.CreateAsync(api, rootKey, "Bench engagement on", 1_209_600, ct, engagement: true);
        foreach (var program in new[] { off, on })
        {
            var seconds = await program.EnrolAsync(s.IntakeMembers, s.EnrolClients, log, ct);
            log($"engagement: program #{program.Id} has {s.IntakeMembers} members ({seconds:F1} s)");
        }
        var tag = Guid.NewGuid().ToString("N")[..8];
        Func<int, long, CancellationToken, Task<Outcome>> Purchase(BenchProgram program, string phase) => async (client, seq, token) =>
        {
            var eventId = $"{phase}-{tag}-{client}-{seq}";
            var member = BenchProgram.MemberId((int)((client * 1_000_003L + seq * 7_919L) % s.IntakeMembers));
            var (status, body) = await api.PostRawAsync(program.P("/events"), program.ShopKey, Purchases.Body(member, eventId, seq), "idem-" + eventId,
                false, token);
            return status is >= 200 and < 300 ? Outcome.Success : Outcome.Failure(Purchases.Describe(status, body));
        };
        // Not measured: JIT, connection pools and the first pages of the tables, for both programs.
        await Load.CountAsync(8, 200, Purchase(off, "w"), ct);
        await Load.CountAsync(8, 200, Purchase(on, "w"), ct);

        var window = TimeSpan.FromSeconds(Math.Max(2, s.IntakeDuration.TotalSeconds / 3));
        var windows = new List<EngagementWindow>();
        for (var round = 0; round < s.EngagementRounds; round++)
        {
            foreach (var engaged in round % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                var loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
                var cpu = server.CpuTime();
                var result = await Load.ForDurationAsync(s.IntakeClients, window, Purchase(engaged ? on : off, $"e{round}"), ct);
                var used = (server.CpuTime() - cpu).TotalSeconds;
                var w = new EngagementWindow(engaged, result, used, loadAverage);
                windows.Add(w);
                log($"engagement {(engaged ? "on " : "off")} (round {round + 1}): {result.Ok} ok, {result.Errors} errors, {result.PerSecond:F1}/s, " +
                    $"p99 {result.P99Ms:F1} ms, API CPU {w.CpuMsPerEvent:F3} ms/event, load average {loadAverage}" +
                    (result.ErrorSamples.Count > 0 ? "; errors: " + string.Join(" | ", result.ErrorSamples) : ""));
            }
        }
        return new EngagementFigures(windows, s.IntakeMembers, s.IntakeClients, window.TotalSeconds);
    }
}
