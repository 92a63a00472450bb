using System.Diagnostics;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record ReconcileFigures(int Members, double SeedSeconds, double Seconds, int MembersChecked, bool Reconciled, long Block);

/// <summary>
/// The reconciler at size: a new program whose N custodial members (wallets never minted to, ledger balances at 0) are
/// seeded straight into the API's SQLite file, like the analytics roll-ups, since enrolling 100,000 through the API
/// would take longer than the rest of the bench. Then one POST …/reconciliation, timed by the client: every member's
/// balance and totalSupply compared with the ledger at one block.
/// </summary>
public static class ReconcilePhase
{
    public static async Task<ReconcileFigures> RunAsync(ApiClient api, string rootKey, string dataDir, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        var program = await BenchProgram.CreateAsync(api, rootKey, "Bench reconciliation", 0, ct);
        log($"reconcile: seeding {s.ReconcileMembers:N0} custodial members (program {program.Id})");
        var clock = Stopwatch.StartNew();
        await AnalyticsPhase.SqliteAsync(Path.Combine(dataDir, "loyalty.db"), Seed(program.Id, s.ReconcileMembers), ct);
        var seedSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var report = await api.PostAsync(program.P("/reconciliation"), program.AdminKey, null, ct, timeout: TimeSpan.FromMinutes(30));
        var seconds = clock.Elapsed.TotalSeconds;
        var checkedCount = report["membersChecked"]!.GetValue<int>();
        var reconciled = report["reconciled"]!.GetValue<bool>();
        log($"reconcile: {checkedCount:N0} members in {seconds:F2} s at block {report["block"]}, reconciled {reconciled} (seeded in {seedSeconds:F1} s)");
        if (checkedCount != s.ReconcileMembers) throw new InvalidOperationException($"the reconciler checked {checkedCount} members, {s.ReconcileMembers} were seeded");
        return new ReconcileFigures(s.ReconcileMembers, seedSeconds, seconds, checkedCount, reconciled, report["block"]!.GetValue<long>());
    }

    /// <summary>Member i: external id r-i, a custodial wallet 0x{program:8 hex}{i:32 hex} that holds nothing, balances at 0.</summary>
    private static string Seed(long p, int members) => $"""
        PRAGMA busy_timeout = 30000;
        BEGIN;
        CREATE TEMP TABLE n AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {members}) SELECT i FROM n;
        INSERT INTO Members (ProgramId, ExternalId, WalletAddress, WalletKind, CustodialIndex, CustodialAddress, CreatedAt)
            SELECT {p}, printf('r-%07d', i), printf('0x%08x%032x', {p}, i), 'Custodial', 1000000 + i, printf('0x%08x%032x', {p}, i), '2026-01-01 00:00:00' FROM n;
        INSERT INTO MemberBalances (MemberId, ProgramId, Pending, Available, Reserved, OnChain, LifetimeEarned)
            SELECT Id, {p}, 0, 0, 0, 0, 0 FROM Members WHERE ProgramId = {p} AND ExternalId LIKE 'r-%';
        COMMIT;
        """;
}
