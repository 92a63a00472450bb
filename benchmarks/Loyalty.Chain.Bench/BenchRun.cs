using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;
using Loyalty.Chain.Bench.Phases;

namespace Loyalty.Chain.Bench;

/// <summary>
/// One run: a Hardhat node, then the naive baseline on it, then the API on SQLite (intake, settlement, redemption),
/// then the API on a fresh PostgreSQL (intake). Each phase that fails leaves its figures null and says why; the
/// others still run. Whatever was started is stopped in finally blocks, also on SIGINT/SIGTERM.
/// </summary>
public sealed class BenchRun(BenchOptions options)
{
    private readonly BenchSettings _s = options.Settings;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly JsonObject _figures = new();
    private readonly List<string> _failed = [];

    private void Log(string message) => Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {message}");

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var ownWork = options.Work is null;
        var work = options.Work ?? Directory.CreateTempSubdirectory("lc-bench-").FullName;
        var logs = Path.Combine(work, "logs");
        Directory.CreateDirectory(logs);
        var leftovers = new Leftovers(Path.Combine(work, "leftovers"));
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            PooledConnectionLifetime = TimeSpan.FromHours(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        }) { Timeout = Timeout.InfiniteTimeSpan };

        // The bootstrap admin key lives in this process only; the API gets its SHA-256, like run.sh does. A copy
        // goes to a 0600 file in the (temporary) work folder, for looking at /hangfire during a long run.
        var rootKey = "lc_root_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var rootKeySha256 = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(rootKey))).ToLowerInvariant();
        var keyFile = Path.Combine(work, "root-admin.key");
        if (!OperatingSystem.IsWindows())
        {
            using var file = new FileStream(keyFile, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(Encoding.UTF8.GetBytes(rootKey + "\n"));
        }

        _figures["mode"] = _s.Mode;
        var cancelled = false;
        Log($"bench ({_s.Mode}): work folder {work}");
        try
        {
            _figures["machine"] = await Machine.DescribeAsync(options.Root, ct);
            await using var node = await HardhatNodeServer.StartAsync(options.Root, logs, leftovers, http, ct);
            _figures["node"] = new JsonObject
            {
                ["rpc"] = "127.0.0.1 (free port)", ["chain_id"] = HardhatNodeServer.ChainId, ["automine"] = node.Automine,
                ["interval_mining_ms"] = HardhatNodeServer.IntervalMiningMs, ["confirmation_depth"] = ApiServer.ConfirmationDepth,
            };
            Log($"hardhat node on {node.RpcUrl}: automine on, interval mining {HardhatNodeServer.IntervalMiningMs} ms");

            NaiveFigures? naive = null;
            if (options.Phases.Contains("naive"))
                naive = await PhaseAsync("naive_error", () => NaivePhase.RunAsync(node.Rpc, _s.NaiveDuration, Log, ct), null, ct);

            IntakeFigures? sqliteIntake = null;
            SettleFigures? settle = null;
            RedeemFigures? redeem = null;
            AnalyticsFigures? analytics = null;
            WebhookFigures? webhooks = null;
            MemberReadFigures? reads = null;
            ReconcileFigures? reconcile = null;
            EngagementFigures? engagement = null;
            if (options.Phases.Overlaps(["engagement", "sqlite", "settle", "redeem", "read", "analytics", "webhooks", "reconcile"]))
            {
                try
                {
                    await using var api = await StartApiAsync("sqlite", work, logs, node, rootKey, rootKeySha256, new Dictionary<string, string>(),
                        leftovers, http, ct);
                    if (options.Phases.Contains("sqlite"))
                        sqliteIntake = await PhaseAsync("intake_error_sqlite", () => IntakePhase.RunAsync(api.Client, rootKey, "SQLite", _s, Log, ct), api, ct);
                    if (options.Phases.Contains("engagement"))
                        engagement = await PhaseAsync("engagement_error", () => EngagementPhase.RunAsync(api, rootKey, _s, Log, ct), api, ct);
                    if (options.Phases.Overlaps(["settle", "redeem", "read"]))
                        settle = await PhaseAsync("settle_error", () => SettlementPhase.RunAsync(api.Client, node.Rpc, rootKey, _s, Log, ct), api, ct);
                    if (options.Phases.Contains("redeem"))
                    {
                        if (settle is null) Fail("redeem_error", "no settled members to redeem with: the settlement phase failed");
                        else redeem = await PhaseAsync("redeem_error", () => RedemptionPhase.RunAsync(settle.Program, settle.Members, _s.Redemptions, Log, ct), api, ct);
                    }
                    if (options.Phases.Contains("read"))
                    {
                        if (settle is null) Fail("member_read_error", "no settled members to read: the settlement phase failed");
                        else reads = await PhaseAsync("member_read_error", () => MemberReadPhase.RunAsync(settle.Program, settle.Members, _s, Log, ct), api, ct);
                    }
                    if (options.Phases.Contains("analytics"))
                        analytics = await PhaseAsync("analytics_error", () => AnalyticsPhase.RunAsync(api.Client, rootKey, Path.Combine(work, "api-sqlite"), _s, Log, ct), api, ct);
                    if (options.Phases.Contains("webhooks"))
                        webhooks = await PhaseAsync("webhook_error", () => WebhookPhase.RunAsync(api.Client, rootKey, _s, Log, ct), api, ct);
                    if (options.Phases.Contains("reconcile"))
                        reconcile = await PhaseAsync("reconcile_error", () => ReconcilePhase.RunAsync(api.Client, rootKey, Path.Combine(work, "api-sqlite"), _s, Log, ct), api, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Fail("api_error_sqlite", ex.Message);
                }
            }
            Intake("sqlite", sqliteIntake);
            Engagement(engagement);
            Settle(settle);
            Naive(naive, settle);
            Redeem(redeem);
            Analytics(analytics);
            Webhooks(webhooks);
            MemberReads(reads);
            Reconcile(reconcile);

            RecoveryFigures? recovery = null;
            if (options.Phases.Contains("recovery"))
            {
                // An API of its own, since the phase kills it; started again on the same data folder.
                recovery = await PhaseAsync("recovery_error", () => RecoveryPhase.RunAsync(
                    () => StartApiAsync("recovery", work, logs, node, rootKey, rootKeySha256, new Dictionary<string, string>(), leftovers, http, ct),
                    rootKey, Path.Combine(work, "api-recovery"), _s, Log, ct), null, ct);
            }
            Recovery(recovery);

            IntakeFigures? pgIntake = null;
            if (options.Phases.Contains("pg"))
            {
                try
                {
                    Log("postgresql: starting a throw-away cluster");
                    await using var pg = await PostgresCluster.StartAsync(logs, leftovers, ct);
                    Log($"postgresql {pg.Version} on 127.0.0.1:{pg.Port}");
                    _figures["postgresql"] = new JsonObject { ["version"] = pg.Version, ["max_connections"] = PostgresCluster.MaxConnections, ["fsync"] = "on (default)" };
                    var database = new Dictionary<string, string> { ["Database__Provider"] = "PostgreSql", ["Database__ConnectionString"] = pg.ConnectionString };
                    await using var api = await StartApiAsync("pg", work, logs, node, rootKey, rootKeySha256, database, leftovers, http, ct);
                    pgIntake = await PhaseAsync("intake_error_pg", () => IntakePhase.RunAsync(api.Client, rootKey, "PostgreSQL", _s, Log, ct), api, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Fail("intake_error_pg", ex.Message);
                }
            }
            Intake("pg", pgIntake);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            cancelled = true;
            _figures["cancelled"] = true;
        }
        catch (Exception ex)
        {
            Fail("run_error", ex.Message);
        }

        _figures["total_seconds"] = Math.Round(_clock.Elapsed.TotalSeconds, 1);
        var json = _figures.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        try { File.WriteAllText(Path.Combine(work, "result.json"), json + "\n"); }
        catch (IOException) { }
        if (ownWork)
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
        Log(cancelled ? "interrupted" : _failed.Count == 0 ? "done" : $"done with failures: {string.Join(", ", _failed)}");
        Console.Out.WriteLine(json);
        return cancelled ? 130 : _failed.Count == 0 ? 0 : 1;
    }

    /// <summary>Starts the API on the given database and funds its operator.</summary>
    private async Task<ApiServer> StartApiAsync(string name, string work, string logs, HardhatNodeServer node, string rootKey, string rootKeySha256,
        IReadOnlyDictionary<string, string> database, Leftovers leftovers, HttpClient http, CancellationToken ct)
    {
        Log($"api ({name}): starting");
        var api = await ApiServer.StartAsync("api-" + name, options.ApiDll, Path.Combine(work, "api-" + name), logs, node.RpcUrl, rootKeySha256,
            database, leftovers, http, ct);
        try
        {
            await api.FundOperatorAsync(rootKey, node.Rpc, ct);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
        Log($"api ({name}) on {api.Url}, operator funded");
        return api;
    }

    /// <summary>Runs a phase; a failure is recorded under <paramref name="errorKey"/> (with the API log's tail on stderr) and gives null.</summary>
    private async Task<T?> PhaseAsync<T>(string errorKey, Func<Task<T>> phase, ApiServer? api, CancellationToken ct) where T : class
    {
        try
        {
            return await phase();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Fail(errorKey, ex.Message);
            if (api is not null) Console.Error.WriteLine($"last lines of {api.LogPath}:\n{api.Tail(15)}");
            return null;
        }
    }

    private void Fail(string errorKey, string message)
    {
        _failed.Add(errorKey);
        Log($"FAILED ({errorKey}): {message}");
        _figures[errorKey] = ApiClient.Shorten(message, 600);
    }

    private static double R(double value, int digits = 1) => Math.Round(value, digits);

    private void Intake(string db, IntakeFigures? f)
    {
        _figures[$"intake_events_per_s_{db}"] = f is null ? null : R(f.Load.PerSecond);
        _figures[$"intake_p50_ms_{db}"] = f is null ? null : R(f.Load.P50Ms, 2);
        _figures[$"intake_p99_ms_{db}"] = f is null ? null : R(f.Load.P99Ms, 2);
        _figures[$"intake_ok_{db}"] = f?.Load.Ok;
        _figures[$"intake_errors_{db}"] = f?.Load.Errors;
        if (f is not null)
        {
            _figures[$"intake_seconds_{db}"] = R(f.Load.Seconds, 2);
            _figures[$"intake_clients_{db}"] = f.Clients;
            _figures[$"intake_members_{db}"] = f.Members;
            if (f.Load.ErrorSamples.Count > 0) _figures[$"intake_error_samples_{db}"] = string.Join(" | ", f.Load.ErrorSamples);
        }
        if (!_figures.ContainsKey($"intake_error_{db}")) _figures[$"intake_error_{db}"] = null;
    }

    private void Engagement(EngagementFigures? f)
    {
        if (f is null)
        {
            if (options.Phases.Contains("engagement") && !_figures.ContainsKey("engagement_error")) _figures["engagement_error"] = null;
            return;
        }
        double off = f.PerSecond(false), on = f.PerSecond(true), cpuOff = f.CpuMsPerEvent(false), cpuOn = f.CpuMsPerEvent(true);
        _figures["engagement_events_per_s_off"] = R(off);
        _figures["engagement_events_per_s_on"] = R(on);
        // The issue 13 constraint: what the features cut from intake throughput, in percent (at most 10).
        _figures["engagement_cost_percent"] = R(100 * (1 - on / off));
        _figures["engagement_cpu_ms_per_event_off"] = R(cpuOff, 3);
        _figures["engagement_cpu_ms_per_event_on"] = R(cpuOn, 3);
        _figures["engagement_cpu_cost_percent"] = R(100 * (cpuOn / cpuOff - 1));
        _figures["engagement_p99_ms_off"] = R(f.P99Ms(false), 2);
        _figures["engagement_p99_ms_on"] = R(f.P99Ms(true), 2);
        _figures["engagement_window_seconds"] = R(f.WindowSeconds);
        _figures["engagement_windows"] = string.Join("; ", f.Windows.Select(w =>
            $"{(w.Engagement ? "on" : "off")} {w.Load.PerSecond:F1}/s p99 {w.Load.P99Ms:F1} cpu {w.CpuMsPerEvent:F3} ms load {w.LoadAverage}"));
        _figures["engagement_errors"] = f.Windows.Sum(w => w.Load.Errors);
    }

    private void Settle(SettleFigures? f)
    {
        _figures["settle_accruals"] = f?.Accruals;
        _figures["settle_members"] = f?.Members;
        _figures["settle_seconds"] = f is null ? null : R(f.Seconds);
        _figures["settle_final_seconds"] = f is null ? null : R(f.FinalSeconds);
        _figures["settle_accruals_per_s"] = f is null ? null : R(f.Accruals / f.Seconds);
        _figures["settle_transactions"] = f?.Transactions;
        _figures["settle_rounds"] = f?.Rounds;
        _figures["settle_gas_total"] = f?.GasTotal;
        _figures["settle_gas_per_accrual"] = f is null ? null : R((double)f.GasTotal / f.Accruals);
        _figures["settle_gas_per_holder_mint"] = f is null || f.HolderMints == 0 ? null : R((double)f.GasTotal / f.HolderMints);
        _figures["settle_holder_mints"] = f?.HolderMints;
        _figures["settle_points"] = f?.Points;
        _figures["settle_reconciled"] = f?.Reconciled;
        _figures["settle_seed_events_per_s"] = f is null ? null : R(f.SeedPerSecond);
        _figures["settle_seed_seconds"] = f is null ? null : R(f.SeedSeconds);
    }

    private void Naive(NaiveFigures? naive, SettleFigures? settle)
    {
        _figures["naive_accruals_per_s"] = naive is null ? null : R(naive.PerSecond);
        _figures["naive_accruals"] = naive?.Accruals;
        _figures["naive_seconds"] = naive is null ? null : R(naive.Seconds);
        _figures["naive_gas_per_accrual"] = naive is null || naive.Accruals == 0 ? null : R((double)naive.GasTotal / naive.Accruals);
        _figures["speedup"] = naive is null || settle is null || naive.PerSecond == 0 ? null : R(settle.Accruals / settle.Seconds / naive.PerSecond, 2);
    }

    private void Analytics(AnalyticsFigures? f)
    {
        _figures["analytics_p99_ms"] = f is null ? null : R(f.P99Ms, 2);
        _figures["analytics_p50_ms"] = f is null ? null : R(f.P50Ms, 2);
        _figures["analytics_p99_ms_365d_by_month"] = f is null ? null : R(f.P99MsYearByMonth, 2);
        _figures["analytics_members"] = f?.Members;
        _figures["analytics_events"] = f?.Events;
        _figures["analytics_requests"] = f?.Requests;
        _figures["analytics_seed_seconds"] = f is null ? null : R(f.SeedSeconds);
    }

    private void Webhooks(WebhookFigures? f)
    {
        _figures["webhook_deliveries_per_s"] = f is null || f.Seconds <= 0 ? null : R(f.Delivered / f.Seconds);
        _figures["webhook_events"] = f?.Events;
        _figures["webhook_delivered"] = f?.Delivered;
        _figures["webhook_seconds"] = f is null ? null : R(f.Seconds, 2);
        _figures["webhook_enqueue_seconds"] = f is null ? null : R(f.EnqueueSeconds, 2);
        _figures["webhook_drain_seconds"] = f is null ? null : R(f.DrainSeconds, 2);
        _figures["webhook_requests"] = f?.Requests;
        _figures["webhook_signatures_valid"] = f is null ? null : f.Invalid == 0 && f.Delivered > 0;
        _figures["webhook_members"] = f?.Members;
        _figures["webhook_clients"] = f?.Clients;
        var b = f?.Backlog;
        _figures["webhook_backlog_deliveries_per_s"] = b is null || b.Seconds <= 0 ? null : R(b.Delivered / b.Seconds);
        _figures["webhook_backlog_events"] = b?.Events;
        _figures["webhook_backlog_enqueue_seconds"] = b is null ? null : R(b.EnqueueSeconds, 2);
        _figures["webhook_backlog_drain_seconds"] = b is null ? null : R(b.DrainSeconds, 2);
        if (f is { Other: > 0 }) _figures["webhook_other_messages"] = f.Other;
    }

    private void MemberReads(MemberReadFigures? f)
    {
        _figures["member_read_p99_ms"] = f is null ? null : R(f.Load.P99Ms, 2);
        _figures["member_read_p50_ms"] = f is null ? null : R(f.Load.P50Ms, 2);
        _figures["member_read_per_s"] = f is null ? null : R(f.Load.PerSecond);
        _figures["member_read_errors"] = f?.Load.Errors;
        _figures["member_read_clients"] = f?.Clients;
        if (f is { Load.ErrorSamples.Count: > 0 }) _figures["member_read_error_samples"] = string.Join(" | ", f.Load.ErrorSamples);
    }

    private void Reconcile(ReconcileFigures? f)
    {
        _figures[f is null || f.Members == 100_000 ? "reconcile_seconds_100k" : $"reconcile_seconds_{f.Members / 1000}k"] = f is null ? null : R(f.Seconds, 2);
        _figures["reconcile_members"] = f?.Members;
        _figures["reconcile_reconciled"] = f?.Reconciled;
        _figures["reconcile_seed_seconds"] = f is null ? null : R(f.SeedSeconds);
    }

    private void Recovery(RecoveryFigures? f)
    {
        _figures["recovery_seconds"] = f is null ? null : R(f.Seconds, 2);
        _figures["recovery_start_seconds"] = f is null ? null : R(f.StartSeconds, 2);
        _figures["recovery_statuses_at_kill"] = f?.StatusesAtKill;
        _figures["recovery_moved"] = f?.MovedTx;
    }

    private void Redeem(RedeemFigures? f)
    {
        _figures["redeem_requests"] = f?.Requests;
        _figures["redeem_ok"] = f?.Ok;
        _figures["redeem_errors"] = f?.Errors;
        _figures["redeem_p50_ms"] = f is null ? null : R(f.P50Ms, 2);
        _figures["redeem_p99_ms"] = f is null ? null : R(f.P99Ms, 2);
        _figures["redeem_max_ms"] = f is null ? null : R(f.MaxMs, 2);
        if (f is { ErrorSamples.Count: > 0 }) _figures["redeem_error_samples"] = string.Join(" | ", f.ErrorSamples);
    }
}
