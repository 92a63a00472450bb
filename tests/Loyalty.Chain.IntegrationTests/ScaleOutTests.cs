using System.Collections.Concurrent;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Nethereum.Hex.HexTypes;
using Npgsql;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Two service instances (API and Hangfire workers each, separate processes) on one PostgreSQL and one
/// node, under load, with every event sent to both at once: the database is all they share.
/// </summary>
[Trait("Category", "ScaleOut")]
public sealed class ScaleOutTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PipelineFixture _chain = new();
    private readonly DirectoryInfo _shared = Directory.CreateTempSubdirectory("lc-scaleout-");
    private readonly List<ApiProcess> _instances = [];

    public Task InitializeAsync() => _chain.InitializeAsync();

    [PostgresFact]
    public async Task TwoInstancesUnderLoad_NeverReuseANonce_CreditEachEventOnce_MintOnce_AndEndWithLedgerEqualToChain()
    {
        const int members = 60, events = 1200;
        var adminKey = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var connectionString = TestDatabase.EnsureDatabase(Path.Combine(_shared.FullName, "loyalty.db"));
        var settings = new Dictionary<string, string>
        {
            ["Chain:RpcUrl"] = _chain.Chain.Node.RpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = "2",
            ["Database:Provider"] = "PostgreSql",
            ["Database:ConnectionString"] = connectionString,
            ["Database:DataDirectory"] = _shared.FullName,
            // One key-encryption key for both, as a real deployment would share it (KMS or a mounted secret).
            ["Custody:DataDirectory"] = _shared.FullName,
            ["Custody:KeystoreScryptN"] = "4096",
            ["Admin:ApiKeySha256"] = Loyalty.Chain.Access.ApiKeyService.Hash(adminKey),
            ["Jobs:PipelineCron"] = "* * * * * *",
            ["Jobs:SettlementCron"] = "* * * * * *",
            // Settle every second in batches of 10 while events keep coming: many transactions from both
            // instances race for the operator's nonces.
            ["Settlement:MaxIntentAge"] = "00:00:01",
            ["Settlement:MaxBatchSize"] = "10",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        // Both start at once: migrations, Hangfire's schema, the key file and the operator key are raced too.
        _instances.AddRange(await Task.WhenAll(ApiProcess.StartAsync(settings), ApiProcess.StartAsync(settings)));
        var (a, b) = (_instances[0].Api, _instances[1].Api);

        var op = await a.GetAsync("/v1/admin/operator", adminKey);
        var operatorAddress = op.Body!["address"]!.GetValue<string>();
        Assert.Equal(operatorAddress, (await b.GetAsync("/v1/admin/operator", adminKey)).Body!["address"]!.GetValue<string>());
        await _chain.RpcAsync("hardhat_setBalance", $"[\"{operatorAddress}\", \"0x56bc75e2d63100000\"]");

        var created = await a.PostAsync("/v1/programs", adminKey, new
        {
            name = "Scale-out Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR",
            pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var programId = created.Body!["program"]!["id"]!.GetValue<long>();
        var programKey = created.Body["adminKey"]!.GetValue<string>();
        string P(string path) => $"/v1/programs/{programId}{path}";
        string? pointsContract = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            var p = await b.GetAsync(P(""), programKey);
            pointsContract = p.Body?["pointsContract"]?.GetValue<string>();
            return p.Body?["status"]?.GetValue<string>() == "Active";
        }, TimeSpan.FromSeconds(90)), "program did not become active");
        Assert.Equal(HttpStatusCode.Created, (await b.PostAsync(P("/rules"), programKey, new
        {
            name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 },
        })).Status);

        var ids = Enumerable.Range(0, members).Select(i => $"so-{i}").ToArray();
        await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (m, _) =>
            Assert.Equal(HttpStatusCode.Created, (await (m.i % 2 == 0 ? a : b).PostAsync(P("/members"), programKey, new { externalId = m.id })).Status));

        var expected = new Dictionary<string, long>();
        for (var i = 0; i < events; i++) expected[ids[i % members]] = expected.GetValueOrDefault(ids[i % members]) + (i % 20 + 1);

        // Every event goes to both instances at the same moment with one Idempotency-Key; every fourth also
        // comes a third time under another key (a shop retrying without its key): same eventId, credited once.
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
        {
            var body = new { type = "purchase", memberId = ids[i % members], eventId = $"order-{i}", amount = $"{i % 20 + 1}.00" };
            var sends = new List<Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, HttpResponseMessage Response)>>
            {
                a.PostAsync(P("/events"), programKey, body, $"key-{i}"),
                b.PostAsync(P("/events"), programKey, body, $"key-{i}"),
            };
            if (i % 4 == 0) sends.Add((i % 8 == 0 ? a : b).PostAsync(P("/events"), programKey, body, $"retry-{i}"));
            foreach (var r in await Task.WhenAll(sends))
            {
                statuses.Add(r.Status);
                if (r.Status is not (HttpStatusCode.Created or HttpStatusCode.OK)) output.WriteLine($"{r.Status}: {r.Body}");
            }
        });
        output.WriteLine($"{statuses.Count} requests for {events} events in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.OK, s.ToString()));
        Assert.Equal(events, statuses.Count(s => s == HttpStatusCode.Created));

        await using var db = new PostgresLoyaltyDbContext(new DbContextOptionsBuilder<PostgresLoyaltyDbContext>().UseNpgsql(connectionString).Options);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            db.ChangeTracker.Clear();
            return !await db.Set<MintIntent>().AnyAsync(i => i.ProgramId == programId && i.Status != IntentStatus.Confirmed)
                   && !await db.Set<ChainTx>().AnyAsync(t => t.Status != ChainTxStatus.Final);
        }, TimeSpan.FromSeconds(180)), "settlement did not reach Final");
        output.WriteLine($"all Final after {clock.Elapsed.TotalSeconds:F1} s");

        // Each event credited once: one event row, one accrual, one earn posting.
        Assert.Equal(events, await db.Set<LoyaltyEvent>().CountAsync(e => e.ProgramId == programId));
        Assert.Equal(events, await db.Set<Accrual>().CountAsync(e => e.ProgramId == programId));
        Assert.Equal(events, await db.Set<LedgerEntry>().Where(e => e.ProgramId == programId && e.Kind == EntryKind.Earn)
            .Select(e => e.PostingId).Distinct().CountAsync());

        // No nonce twice: every transaction of the operator has its own nonce, the nonces are 0..n-1 without a
        // gap, every attempt of a nonce belongs to one transaction, and the chain has seen exactly n.
        // The same for every sender: the operator (deployments, funding) and the program's relayer and admin keys.
        var all = await db.Set<ChainTx>().AsNoTracking().Include(t => t.Attempts).ToListAsync();
        Assert.Contains(all, t => t.From == operatorAddress);
        foreach (var txs in all.GroupBy(t => t.From).Select(g => g.ToList()))
        {
            var nonces = txs.Select(t => t.Nonce!.Value).OrderBy(n => n).ToList();
            Assert.Equal(Enumerable.Range(0, txs.Count).Select(n => (long)n), nonces);
            Assert.All(txs.SelectMany(t => t.Attempts.Select(at => (t.Id, at.Nonce))).GroupBy(x => x.Nonce),
                g => Assert.Single(g.Select(x => x.Id).Distinct()));
            var onChainNonce = await _chain.Chain.AdminWeb3.Eth.Transactions.GetTransactionCount.SendRequestAsync(txs[0].From);
            Assert.Equal(new HexBigInteger(txs.Count).Value, onChainNonce.Value);
            Assert.All(txs, t => Assert.Equal(ChainTxOutcome.Succeeded, t.Outcome));
        }
        var mintTxs = all.Count(t => t.Purpose == SettlementService.MintPurpose);
        output.WriteLine($"{all.Count} transactions from {all.Select(t => t.From).Distinct().Count()} senders, {mintTxs} mints");
        Assert.True(mintTxs >= 6, $"expected many small mint batches from both instances, saw {mintTxs}");

        // No mint twice and ledger == chain: each wallet holds exactly what its events earned, and so does the ledger.
        var points = new LoyaltyPointsService(_chain.Chain.AdminWeb3, pointsContract!);
        var wallets = await db.Set<Member>().Where(m => m.ProgramId == programId).Select(m => new { m.Id, m.ExternalId, m.WalletAddress }).ToListAsync();
        Assert.Equal(members, wallets.Count);
        Assert.Equal(members, wallets.Select(w => w.WalletAddress).Distinct().Count());
        foreach (var w in wallets)
        {
            var balance = await db.Set<MemberBalance>().SingleAsync(x => x.MemberId == w.Id);
            Assert.Equal(expected[w.ExternalId], balance.Available);
            Assert.Equal(expected[w.ExternalId], balance.OnChain);
            Assert.Equal(new BigInteger(expected[w.ExternalId]), await points.BalanceOfQueryAsync(w.WalletAddress));
        }
        Assert.Equal(new BigInteger(expected.Values.Sum()), await points.TotalSupplyQueryAsync());
        var reconciliation = await b.PostAsync(P("/reconciliation"), programKey, null);
        Assert.True(reconciliation.Body!["reconciled"]!.GetValue<bool>(), reconciliation.Body.ToJsonString());

        // Both instances ran workers on the shared Hangfire storage.
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var servers = new NpgsqlCommand("SELECT count(*) FROM hangfire.server", conn);
        Assert.Equal(2L, (long)(await servers.ExecuteScalarAsync())!);

        var logs = string.Join('\n', _instances.SelectMany(i => i.Output));
        Assert.DoesNotContain(adminKey, logs);
        Assert.DoesNotContain(programKey, logs);
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances) await instance.DisposeAsync();
        await _chain.DisposeAsync();
        try { _shared.Delete(recursive: true); } catch (IOException) { }
    }
}
