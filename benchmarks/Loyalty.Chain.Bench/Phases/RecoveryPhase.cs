using System.Diagnostics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record RecoveryFigures(int Accruals, int Transactions, string StatusesAtKill, double StartSeconds, double Seconds, string MovedTx);

/// <summary>
/// Crash recovery: an API of its own (SQLite) settles a backlog; while its mint transactions are in flight (some not
/// Final) the process is killed with SIGKILL, then started again on the same data folder. The figure is the time from the
/// kill until one of those transactions moves (its status in the API's answer differs from the one the database held
/// at the kill, read with sqlite3 from the file the dead process left). The restart's own start-up is included.
/// </summary>
public static class RecoveryPhase
{
    public static async Task<RecoveryFigures> RunAsync(Func<Task<ApiServer>> start, string rootKey, string dataDir, BenchSettings s, Action<string> log,
        CancellationToken ct)
    {
        var api = await start();
        try
        {
            var program = await BenchProgram.CreateAsync(api.Client, rootKey, "Bench recovery", 0, ct);
            await program.EnrolAsync(s.RecoveryMembers, s.EnrolClients, log, ct);
            var tag = Guid.NewGuid().ToString("N")[..8];
            var seed = await Load.CountAsync(s.SeedClients, s.RecoveryMembers, async (_, i, token) =>
            {
                var (status, body) = await program.Api.PostRawAsync(program.P("/events"), program.ShopKey,
                    Purchases.Body(BenchProgram.MemberId((int)i), $"rc-{tag}-{i}", i), $"idem-rc-{tag}-{i}", false, token);
                return status is >= 200 and < 300 ? Outcome.Success : Outcome.Failure(Purchases.Describe(status, body));
            }, ct);
            if (seed.Errors > 0) throw new ApiException($"{seed.Errors} purchases failed: {string.Join(" | ", seed.ErrorSamples)}");
            log($"recovery: {s.RecoveryMembers} accruals seeded; settling, and killing the API while its mints are in flight");
            await program.Api.PostAsync(program.P("/settlement/run"), program.AdminKey, null, ct, timeout: TimeSpan.FromMinutes(5));
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var mints = await MintsAsync(api.Client, rootKey, program.Id, ct);
                if (mints.Count > 0 && mints.Values.Any(v => v is "Sent" or "Mined") && mints.Values.Any(v => v != "Final")) break;
                if (deadline.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("no mint transaction was in flight within 2 min");
                await Task.Delay(50, ct);
            }
            var killedAt = Stopwatch.GetTimestamp();
            await api.DisposeAsync(); // Process.Kill: SIGKILL, no shutdown hooks run
            api = null!;
            var atKill = await DbStatusesAsync(Path.Combine(dataDir, "loyalty.db"), program.Id, ct);
            var statuses = string.Join(",", atKill.OrderBy(x => x.Key).Select(x => x.Value));
            log($"recovery: killed with {atKill.Count} mint transactions ({statuses}); starting again");
            if (atKill.Values.All(v => v == "Final")) throw new InvalidOperationException("every mint was Final at the kill: nothing left to recover");
            api = await start();
            var startSeconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
            while (true)
            {
                var now = await MintsAsync(api.Client, rootKey, program.Id, ct);
                var moved = now.FirstOrDefault(x => atKill.TryGetValue(x.Key, out var was) && was != "Final" && was != x.Value);
                if (moved.Value is not null)
                {
                    var seconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
                    log($"recovery: ChainTx #{moved.Key} moved {atKill[moved.Key]} -> {moved.Value} {seconds:F2} s after the kill (API healthy after {startSeconds:F2} s)");
                    return new RecoveryFigures(s.RecoveryMembers, atKill.Count, statuses, startSeconds, seconds, $"#{moved.Key} {atKill[moved.Key]}->{moved.Value}");
                }
                if (Stopwatch.GetElapsedTime(killedAt) > TimeSpan.FromMinutes(3)) throw new TimeoutException("no mint transaction moved within 3 min of the restart");
                await Task.Delay(50, ct);
            }
        }
        finally
        {
            if (api is not null) await api.DisposeAsync();
        }
    }

    private static async Task<Dictionary<long, string>> MintsAsync(ApiClient api, string rootKey, long programId, CancellationToken ct) =>
        (await api.GetAsync("/v1/admin/chain-txs?limit=500", rootKey, ct)).AsArray()
            .Where(t => t!["purpose"]!.GetValue<string>() == "settlement.mint" && t["reference"]?.GetValue<string>() == programId.ToString())
            .ToDictionary(t => t!["id"]!.GetValue<long>(), t => t!["status"]!.GetValue<string>());

    private static async Task<Dictionary<long, string>> DbStatusesAsync(string file, long programId, CancellationToken ct)
    {
        var (code, output) = await ChildProcess.RunAsync("sqlite3", [file,
            $"SELECT Id || '|' || Status FROM ChainTxs WHERE Purpose = 'settlement.mint' AND Reference = '{programId}';"], null, ct);
        if (code != 0) throw new InvalidOperationException($"sqlite3 failed ({code}): {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|'))
            .ToDictionary(p => long.Parse(p[0]), p => p[1].Trim());
    }
}
