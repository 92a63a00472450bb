using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// A real node behind a TCP proxy (so a test can cut it) and the real host without job workers (nothing but the test
/// moves its state), with a funded operator: the starting point of every readiness test.
/// </summary>
public sealed class ReadinessFixture : IAsyncLifetime
{
    public HardhatNode Node { get; private set; } = null!;
    public TcpProxy Proxy { get; private set; } = null!;
    public ApiFactory Factory { get; private set; } = null!;
    public LoyaltyApi Api { get; private set; } = null!;
    public string OperatorAddress { get; private set; } = "";
    public const string Funded = "0x56bc75e2d63100000"; // 100 ETH

    public static readonly Dictionary<string, string> Settings = new()
    {
        ["Jobs:RunServer"] = "false",
        ["Health:NodeCacheFor"] = "00:00:00.300",
        ["Health:NodeTimeout"] = "00:00:02",
        ["Health:MaxPipelineBacklogAge"] = "00:05:00",
        ["Monitoring:BalanceCheckEvery"] = "00:00:00",
    };

    public async Task InitializeAsync()
    {
        Node = await HardhatNode.StartAsync();
        Proxy = new TcpProxy(Node.Port);
        Factory = new ApiFactory(Proxy.Url, Settings);
        Api = new LoyaltyApi(Factory.CreateClient());
        OperatorAddress = (await Api.GetAsync("/v1/admin/operator", Factory.AdminKey)).Body!["address"]!.GetValue<string>();
        await SetOperatorBalanceAsync(Funded);
    }

    public Task SetOperatorBalanceAsync(string hexWei) => SetBalanceAsync(OperatorAddress, hexWei);

    public Task SetBalanceAsync(string address, string hexWei) => Node.RpcAsync("hardhat_setBalance", $"[\"{address}\", \"{hexWei}\"]");

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Proxy.DisposeAsync();
        await Node.DisposeAsync();
    }
}

/// <summary>/health, /health/live and /health/ready of the real host: who answers, and which dependency fails.</summary>
public sealed class HealthTests(ReadinessFixture f) : IClassFixture<ReadinessFixture>
{
    private static readonly string[] CheckNames = ["database", "node", "operatorBalance", "programKeys", "pipelineBacklog", "alerts"];

    [Fact]
    public async Task Health_AnswersTheInstanceValueItWasStartedWith()
    {
        await using var factory = new ApiFactory("http://127.0.0.1:9", new Dictionary<string, string> { ["Health:Instance"] = "start-4f1c" });
        var health = await new LoyaltyApi(factory.CreateClient()).GetAsync("/health", null);

        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("ok", health.Body!["status"]!.GetValue<string>());
        Assert.Equal("start-4f1c", health.Body["instance"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_WhenTheDatabaseCannotBeRead_Is503WithACode()
    {
        if (TestDatabase.IsPostgres) return; // the SQLite file is what this test takes away
        var dir = Directory.CreateTempSubdirectory("lc-health-");
        var file = Path.Combine(dir.FullName, "ledger.db");
        // No pooling: every request opens the file afresh, as it would after a restart or a lost volume.
        await using var factory = new ApiFactory("http://127.0.0.1:9", new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = $"Data Source={file};Pooling=False;Default Timeout=2",
            ["Jobs:RunServer"] = "false",
        });
        var api = new LoyaltyApi(factory.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health", null)).Status);

        foreach (var f in dir.GetFiles()) f.Delete();
        var health = await api.GetAsync("/health", null);
        var ready = await api.GetAsync("/health/ready", null);
        var live = await api.GetAsync("/health/live", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.Equal("DATABASE_UNAVAILABLE", health.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("fail", ready.Body!["checks"]!["database"]!["status"]!.GetValue<string>());
        // Liveness reads nothing: a lost database is not a reason to restart the process.
        Assert.Equal(HttpStatusCode.OK, live.Status);
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Ready_OnAHealthyInstance_Is200WithEveryCheckOk()
    {
        var ready = await ReadyWhenAsync(HttpStatusCode.OK);

        Assert.Equal("ready", ready["status"]!.GetValue<string>());
        foreach (var name in CheckNames)
            Assert.True(ready["checks"]![name]!["status"]!.GetValue<string>() == "ok", $"{name}: {ready["checks"]![name]}");
        Assert.Contains("31337", ready["checks"]!["node"]!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await f.Api.GetAsync("/health/live", null)).Status);
    }

    [Fact]
    public async Task Ready_WhenTheNodeIsCut_Is503NamingTheNode_AndReadyAgainWhenItAnswers()
    {
        f.Proxy.Down();
        try
        {
            var ready = await ReadyWhenAsync(HttpStatusCode.ServiceUnavailable);

            Assert.Equal("not_ready", ready["status"]!.GetValue<string>());
            Assert.Equal("fail", ready["checks"]!["node"]!["status"]!.GetValue<string>());
            Assert.Contains("does not answer", ready["checks"]!["node"]!["detail"]!.GetValue<string>());
            Assert.Equal("ok", ready["checks"]!["database"]!["status"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await f.Api.GetAsync("/health/live", null)).Status);
        }
        finally
        {
            f.Proxy.Up();
        }
        await ReadyWhenAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_WhenTheNodeServesAnotherChainId_Is503NamingTheNode()
    {
        await using var factory = new ApiFactory(f.Node.RpcUrl, new Dictionary<string, string>(ReadinessFixture.Settings) { ["Chain:ChainId"] = "8453" });
        var ready = await new LoyaltyApi(factory.CreateClient()).GetAsync("/health/ready", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        var node = ready.Body!["checks"]!["node"]!;
        Assert.Equal("fail", node["status"]!.GetValue<string>());
        Assert.Contains("31337", node["detail"]!.GetValue<string>());
        Assert.Contains("8453", node["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ready_WhenTheOperatorBalanceIsBelowTheMinimum_Is503NamingIt()
    {
        await f.SetOperatorBalanceAsync("0x1000"); // 4096 wei, under Chain:MinOperatorBalanceWei (0.01 ETH)
        try
        {
            var ready = await ReadyWhenAsync(HttpStatusCode.ServiceUnavailable);

            Assert.Equal("fail", ready["checks"]!["operatorBalance"]!["status"]!.GetValue<string>());
            Assert.Contains("4096 wei", ready["checks"]!["operatorBalance"]!["detail"]!.GetValue<string>());
            Assert.Equal("ok", ready["checks"]!["node"]!["status"]!.GetValue<string>());
        }
        finally
        {
            await f.SetOperatorBalanceAsync(ReadinessFixture.Funded);
        }
        await ReadyWhenAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_WithAnOpenCriticalAlert_Is503NamingIt_AndANonCriticalOneIsOnlyCounted()
    {
        var alerts = f.Factory.Services.GetRequiredService<AlertSink>();
        await alerts.RaiseAsync(LoyaltyJobs.StepFailedAlert, "health-test", "not critical");
        var counted = await ReadyWhenAsync(HttpStatusCode.OK);
        Assert.Contains("1 open alerts", counted["checks"]!["alerts"]!["detail"]!.GetValue<string>());

        await alerts.RaiseAsync(SenderHealth.OutOfFundsAlert, "health-test", "critical");
        try
        {
            var ready = await ReadyWhenAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("fail", ready["checks"]!["alerts"]!["status"]!.GetValue<string>());
            Assert.Contains(SenderHealth.OutOfFundsAlert, ready["checks"]!["alerts"]!["detail"]!.GetValue<string>());
        }
        finally
        {
            await alerts.ResolveAsync(SenderHealth.OutOfFundsAlert, "health-test");
            await alerts.ResolveAsync(LoyaltyJobs.StepFailedAlert, "health-test");
        }
        await ReadyWhenAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_WithAQueuedTransactionOlderThanTheLimit_Is503NamingTheBacklog()
    {
        long id;
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var tx = scope.ServiceProvider.GetRequiredService<ChainTxQueue>().Add(new ChainTxRequest(f.OperatorAddress, f.OperatorAddress, "0x", "health.test"));
            tx.CreatedAt = DateTime.UtcNow.AddMinutes(-6);
            tx.NotBefore = DateTime.UtcNow.AddHours(1);
            await db.SaveChangesAsync();
            id = tx.Id;
        }
        try
        {
            var ready = await ReadyWhenAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("fail", ready["checks"]!["pipelineBacklog"]!["status"]!.GetValue<string>());
            Assert.Contains("over the maximum 300 s", ready["checks"]!["pipelineBacklog"]!["detail"]!.GetValue<string>());
        }
        finally
        {
            using var scope = f.Factory.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<ChainTx>().Where(t => t.Id == id).ExecuteDeleteAsync();
        }
        await ReadyWhenAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_WhenAProgramRelayerIsBelowTheMinimum_Is503NamingIt_AndAlerts_UntilItIsRefunded()
    {
        // An active program's row with its own keys (no job runs in this host: nothing but the test moves it).
        var (relayer, admin) = (PipelineFixture.NewAddress().ToLowerInvariant(), PipelineFixture.NewAddress().ToLowerInvariant());
        long id;
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var program = new LoyaltyProgram
            {
                Name = "keys", PointName = "Keys", PointSymbol = "KEY", Status = ProgramStatus.Active, OperatorAddress = f.OperatorAddress,
                MinterAddress = relayer, AdminAddress = admin, CreatedAt = DateTime.UtcNow,
            };
            db.Add(program);
            await db.SaveChangesAsync();
            id = program.Id;
        }
        await f.SetBalanceAsync(admin, ReadinessFixture.Funded);
        await f.SetBalanceAsync(relayer, "0x1000"); // 4096 wei, under Health:MinProgramKeyBalanceWei (default 0.01 ETH)
        var monitor = f.Factory.Services.GetRequiredService<NodeMonitor>();
        async Task<List<Alert>> AlertsAsync()
        {
            using var scope = f.Factory.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<Alert>().AsNoTracking()
                .Where(a => a.Code == ProgramKeyBalances.LowAlert).ToListAsync();
        }
        try
        {
            var ready = await ReadyWhenAsync(HttpStatusCode.ServiceUnavailable);
            var keys = ready["checks"]!["programKeys"]!;
            Assert.Equal("fail", keys["status"]!.GetValue<string>());
            Assert.Contains($"program {id} relayer {relayer} holds 4096 wei", keys["detail"]!.GetValue<string>());
            Assert.DoesNotContain(admin, keys["detail"]!.GetValue<string>());
            Assert.Equal("ok", ready["checks"]!["operatorBalance"]!["status"]!.GetValue<string>());
            await monitor.CheckAsync(CancellationToken.None);
            var raised = Assert.Single(await AlertsAsync());
            Assert.Equal($"program:{id}:{relayer}", raised.Subject);
            Assert.Null(raised.ResolvedAt);

            await f.SetBalanceAsync(relayer, ReadinessFixture.Funded);
            ready = await ReadyWhenAsync(HttpStatusCode.OK);
            Assert.Contains("2 sending keys", ready["checks"]!["programKeys"]!["detail"]!.GetValue<string>());
            await monitor.CheckAsync(CancellationToken.None);
            Assert.NotNull(Assert.Single(await AlertsAsync()).ResolvedAt);
        }
        finally
        {
            using var scope = f.Factory.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<LoyaltyProgram>().Where(p => p.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, ProgramStatus.Failed));
        }
        await ReadyWhenAsync(HttpStatusCode.OK);
    }

    /// <summary>Polls /health/ready until it answers <paramref name="status"/> (the node reading is cached briefly).</summary>
    private async Task<JsonNode> ReadyWhenAsync(HttpStatusCode status)
    {
        (HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response) last = default;
        var reached = await LoyaltyApi.EventuallyAsync(async () =>
        {
            last = await f.Api.GetAsync("/health/ready", null);
            return last.Status == status;
        }, TimeSpan.FromSeconds(15));
        Assert.True(reached, $"/health/ready stayed {(int)last.Status}: {last.Body}");
        return last.Body!;
    }
}
