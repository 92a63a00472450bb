using System.Diagnostics;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>The outcome of one request as a load client sees it.</summary>
public readonly record struct Outcome(bool Ok, string? Error = null)
{
    public static readonly Outcome Success = new(true);
    public static Outcome Failure(string error) => new(false, error);
}

/// <summary>Successful requests, failures (with a few samples), wall time and latency percentiles of a load run.</summary>
public sealed record LoadResult(int Ok, int Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs, IReadOnlyList<string> ErrorSamples)
{
    public double PerSecond => Seconds > 0 ? Ok / Seconds : 0;
}

/// <summary>Closed-loop load: N clients, each sending its next request as soon as the previous one is answered.</summary>
public static class Load
{
    /// <summary>Runs for <paramref name="duration"/>; requests in flight at the end are awaited and counted.</summary>
    public static Task<LoadResult> ForDurationAsync(int clients, TimeSpan duration, Func<int, long, CancellationToken, Task<Outcome>> request,
        CancellationToken ct)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return RunAsync(clients, (_, _) => Stopwatch.GetTimestamp() < end, request, ct);
    }

    /// <summary>Sends exactly <paramref name="total"/> requests, numbered 0..total-1, shared among the clients.</summary>
    public static Task<LoadResult> CountAsync(int clients, long total, Func<int, long, CancellationToken, Task<Outcome>> request, CancellationToken ct)
    {
        long next = -1;
        return RunAsync(clients, (_, _) => true, request, ct, () => { var i = Interlocked.Increment(ref next); return i < total ? i : -1; });
    }

    private static async Task<LoadResult> RunAsync(int clients, Func<int, long, bool> more, Func<int, long, CancellationToken, Task<Outcome>> request,
        CancellationToken ct, Func<long>? take = null)
    {
        var latencies = new List<double>[clients];
        var errors = new int[clients];
        var samples = new List<string>();
        var start = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = new List<double>(4096);
            for (long seq = 0; ; seq++)
            {
                ct.ThrowIfCancellationRequested();
                var index = take is null ? seq : take();
                if (index < 0 || !more(client, seq)) break;
                var t0 = Stopwatch.GetTimestamp();
                Outcome outcome;
                try
                {
                    outcome = await request(client, index, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    outcome = Outcome.Failure(ex.GetType().Name + ": " + ex.Message);
                }
                if (outcome.Ok)
                {
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                else
                {
                    errors[client]++;
                    lock (samples)
                    {
                        if (samples.Count < 5 && !samples.Contains(outcome.Error!)) samples.Add(outcome.Error!);
                    }
                }
            }
        }, ct)).ToList();
        await Task.WhenAll(tasks);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = latencies.SelectMany(l => l ?? []).ToArray();
        Array.Sort(all);
        return new LoadResult(all.Length, errors.Sum(), seconds, Percentile(all, 50), Percentile(all, 99), all.Length == 0 ? 0 : all[^1], samples);
    }

    /// <summary>Nearest-rank percentile of sorted values (0 when there are none).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
