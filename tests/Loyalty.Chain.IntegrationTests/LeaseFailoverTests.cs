using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Leases;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>An instance killed with SIGKILL while it holds the pipeline's leases, and a fresh process on the same database.</summary>
public sealed class LeaseFailoverTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PipelineFixture _chain = new();
    private readonly DirectoryInfo _shared = Directory.CreateTempSubdirectory("lc-failover-");
    private readonly List<ApiProcess> _instances = [];

    public Task InitializeAsync() => _chain.InitializeAsync();

    [Fact]
    public async Task InstanceKilledMidPass_ARestartedInstanceResumesAndMovesTheNextChainTx()
    {
        var adminKey = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var settings = new Dictionary<string, string>
        {
            ["Chain:RpcUrl"] = _chain.Chain.Node.RpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = "2",
            ["Database:DataDirectory"] = _shared.FullName,
            ["Custody:DataDirectory"] = _shared.FullName,
            ["Custody:KeystoreScryptN"] = "4096",
            ["Admin:ApiKeySha256"] = Loyalty.Chain.Access.ApiKeyService.Hash(adminKey),
            ["Jobs:PipelineCron"] = "* * * * * *",
            ["Jobs:SettlementCron"] = "* * * * * *",
            ["Settlement:MaxIntentAge"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var database = TestDatabase.Settings(Path.Combine(_shared.FullName, "loyalty.db"));
        foreach (var (k, v) in database) settings[k] = v!;
        await using var db = NewContext(database["Database:ConnectionString"]!);

        var startClock = Stopwatch.StartNew();
        var a = await StartAsync(settings);
        output.WriteLine($"first instance healthy {startClock.Elapsed.TotalSeconds:F1} s after its start");
        await _chain.RpcAsync("hardhat_setBalance", $"[\"{(await a.Api.GetAsync("/v1/admin/operator", adminKey)).Body!["address"]}\", \"0x56bc75e2d63100000\"]");
        var created = await a.Api.PostAsync("/v1/programs", adminKey, new
        {
            name = "Failover Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var programId = created.Body!["program"]!["id"]!.GetValue<long>();
        var key = created.Body["adminKey"]!.GetValue<string>();
        string P(string path) => $"/v1/programs/{programId}{path}";
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await a.Api.GetAsync(P(""), key)).Body?["status"]?.GetValue<string>() == "Active",
            TimeSpan.FromSeconds(90)), "program did not become active");
        Assert.Equal(HttpStatusCode.Created, (await a.Api.PostAsync(P("/rules"), key, new
        {
            name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 },
        })).Status);

        // Work for the pass, then SIGKILL at a moment the instance holds a lease (mid-pass).
        await EarnAsync(a.Api, P, key, "before-kill", 7);
        var (held, clock) = (new List<string>(), Stopwatch.StartNew());
        while (held.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            db.ChangeTracker.Clear();
            var now = DateTime.UtcNow;
            held = await db.Set<Lease>().AsNoTracking().Where(l => l.Holder != null && l.ExpiresAt > now).Select(l => l.Name).ToListAsync();
        }
        Assert.NotEmpty(held);
        await a.DisposeAsync(); // Process.Kill: SIGKILL, no shutdown, no release
        _instances.Remove(a);
        var killedAt = Stopwatch.StartNew();
        db.ChangeTracker.Clear();
        var stillHeld = await db.Set<Lease>().AsNoTracking().Where(l => l.Holder != null).Select(l => l.Name).ToListAsync();
        output.WriteLine($"killed while holding {string.Join(", ", held)}; left held by the dead instance: {string.Join(", ", stillHeld)}");
        // A pass lasts milliseconds, so the kill may land just after a release: make every lease what a kill right after
        // a renewal leaves behind, the worst case, held by the dead instance for a full lease duration.
        var renewedUntil = DateTime.UtcNow.AddSeconds(5);
        await db.Set<Lease>().ExecuteUpdateAsync(u => u.SetProperty(l => l.Holder, "killed-instance").SetProperty(l => l.ExpiresAt, renewedUntil));

        var b = await StartAsync(settings);
        output.WriteLine($"restarted instance healthy {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        var resumedFrom = killedAt.Elapsed;
        var before = await db.Set<ChainTx>().MaxAsync(t => t.Id);
        await EarnAsync(b.Api, P, key, "after-kill", 11);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            db.ChangeTracker.Clear();
            return await db.Set<ChainTx>().AnyAsync(t => t.Id > before && t.Status != ChainTxStatus.Queued);
        }, TimeSpan.FromSeconds(90)), "the restarted instance did not send the next ChainTx");
        output.WriteLine($"next ChainTx sent {killedAt.Elapsed.TotalSeconds:F1} s after the kill, {(killedAt.Elapsed - resumedFrom).TotalSeconds:F1} s after the restarted instance was healthy");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            db.ChangeTracker.Clear();
            return await (from m in db.Set<Member>() join bal in db.Set<MemberBalance>() on m.Id equals bal.MemberId
                          where m.ProgramId == programId && bal.OnChain == bal.Available && bal.Available > 0 select m).CountAsync() == 2;
        }, TimeSpan.FromSeconds(90)), "both members not settled on chain");
        output.WriteLine($"both members settled {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        Assert.True((await b.Api.PostAsync(P("/reconciliation"), key, null)).Body!["reconciled"]!.GetValue<bool>());
    }

    private static async Task EarnAsync(LoyaltyApi api, Func<string, string> p, string key, string member, int euros)
    {
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(p("/members"), key, new { externalId = member })).Status);
        var sent = await api.PostAsync(p("/events"), key, new { type = "purchase", memberId = member, eventId = $"o-{member}", amount = $"{euros}.00" }, $"k-{member}");
        Assert.Equal(HttpStatusCode.Created, sent.Status);
    }

    private async Task<ApiProcess> StartAsync(Dictionary<string, string> settings)
    {
        var instance = await ApiProcess.StartAsync(settings);
        _instances.Add(instance);
        return instance;
    }

    private static LoyaltyDbContext NewContext(string connectionString) => TestDatabase.IsPostgres
        ? new PostgresLoyaltyDbContext(new DbContextOptionsBuilder<PostgresLoyaltyDbContext>().UseNpgsql(connectionString).Options)
        : new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>().UseSqlite(connectionString).Options);

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances) await instance.DisposeAsync();
        await _chain.DisposeAsync();
        try { _shared.Delete(recursive: true); } catch (IOException) { }
    }
}
