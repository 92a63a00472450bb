using System.Diagnostics;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record SettleFigures(
    long ProgramId, int Members, int Accruals, long Points, double EnrolSeconds, double SeedSeconds, double SeedPerSecond,
    double Seconds, double FinalSeconds, int Transactions, int Rounds, long GasTotal, long HolderMints, bool Reconciled,
    string LedgerOnChain, string TotalSupply, int DriftCount, BenchProgram Program);

/// <summary>
/// Accruals from accepted to on-chain Final: purchases for members of a program without return window (every
/// accrual is available and queued for minting at intake), then one settlement triggered through the admin
/// endpoint, timed until every mint batch is Final and applied to the ledger (all intents Confirmed, the ledger's
/// on-chain total equal to the points seeded). Gas comes from the receipts, not from the service's own records.
/// </summary>
public static class SettlementPhase
{
    private const string MintPurpose = "settlement.mint";
    private const string TransferTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

    public static async Task<SettleFigures> RunAsync(ApiClient api, Rpc rpc, string rootKey, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        var program = await BenchProgram.CreateAsync(api, rootKey, "Bench settlement", 0, ct);
        log($"settle: program #{program.Id} active; enrolling {s.SettleMembers} members");
        var enrol = await program.EnrolAsync(s.SettleMembers, s.EnrolClients, log, ct);
        log($"settle: {s.SettleMembers} members in {enrol:F1} s; seeding {s.SettleAccruals} purchases with {s.SeedClients} clients");

        var (points, seed) = await SeedAsync(program, s, log, ct);
        log($"settle: seeded {s.SettleAccruals} accruals ({points} points) in {seed.Seconds:F1} s = {seed.PerSecond:F1}/s");
        var before = await program.Api.GetAsync(program.P("/settlement"), program.AdminKey, ct);
        var queued = before["queuedIntents"]!.GetValue<int>();
        if (queued != s.SettleAccruals)
            throw new InvalidOperationException($"{queued} intents queued before the trigger, expected {s.SettleAccruals}: something settled early");

        // The trigger: what an operator's "settle now" does. Rounds take at most Settlement:MaxIntentsPerRound intents;
        // the bench asks again every second, as the recurring job would once intents are older than MaxIntentAge.
        log("settle: POST /settlement/run; waiting for Final and for the ledger");
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        double? finalAt = null;
        JsonNode view;
        while (true)
        {
            var run = await program.Api.PostAsync(program.P("/settlement/run"), program.AdminKey, null, ct, timeout: TimeSpan.FromMinutes(15));
            if (run["batchesCreated"]!.GetValue<int>() > 0) rounds++;
            view = await program.Api.GetAsync(program.P("/settlement"), program.AdminKey, ct);
            var mints = view["batches"]!.AsArray().Where(b => b!["kind"]!.GetValue<string>() == "mint").ToList();
            var queuedNow = view["queuedIntents"]!.GetValue<int>();
            if (finalAt is null && queuedNow == 0 && mints.Count > 0 && mints.All(b => b!["chainTxStatus"]!.GetValue<string>() == "Final"))
                finalAt = clock.Elapsed.TotalSeconds;
            if (queuedNow == 0 && view["batchedIntents"]!.GetValue<int>() == 0 && view["confirmedIntents"]!.GetValue<int>() == s.SettleAccruals
                && view["ledger"]!["onChain"]!.GetValue<string>() == points.ToString())
                break;
            if (clock.Elapsed > s.SettleTimeout)
                throw new TimeoutException($"settlement not done after {s.SettleTimeout.TotalMinutes:F0} min: {ApiClient.Shorten(view.ToJsonString(), 400)}");
            await Task.Delay(1000, ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        finalAt ??= seconds;
        log($"settle: {s.SettleAccruals} accruals on chain and in the ledger after {seconds:F1} s (last mint Final after {finalAt:F1} s), {rounds} round(s)");

        var (transactions, gas, holderMints) = await GasAsync(program, rpc, rootKey, ct);
        log($"settle: {transactions} mint transactions, {gas} gas, {holderMints} holder mints");

        var report = await program.Api.PostAsync(program.P("/reconciliation"), program.AdminKey, null, ct, timeout: TimeSpan.FromMinutes(30));
        var supply = await rpc.TotalSupplyAsync(program.PointsContract, ct);
        var ledgerOnChain = report["ledgerOnChain"]!.GetValue<string>();
        var reconciled = report["reconciled"]!.GetValue<bool>() && supply == new BigInteger(points) && ledgerOnChain == points.ToString();
        log($"settle: reconciler says {report["reconciled"]} at block {report["block"]} ({report["driftCount"]} drifts); " +
            $"totalSupply {supply}, seeded {points}");
        return new SettleFigures(program.Id, s.SettleMembers, s.SettleAccruals, points, enrol, seed.Seconds, seed.PerSecond, seconds, finalAt.Value,
            transactions, rounds, gas, holderMints, reconciled, ledgerOnChain, supply.ToString(), report["driftCount"]!.GetValue<int>(), program);
    }

    /// <summary>Exactly N purchases, member i % M for purchase i, so every member gets N / M accruals; the points add up.</summary>
    private static Task<(long Points, LoadResult Load)> SeedAsync(BenchProgram program, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        long done = 0;
        var progress = Stopwatch.StartNew();
        return program.PurchaseAsync("s", s.SettleAccruals, s.SettleMembers, s.SeedClients, _ =>
        {
            if (Interlocked.Increment(ref done) % 10_000 == 0) log($"settle: {done} accruals seeded ({done / progress.Elapsed.TotalSeconds:F0}/s)");
        }, ct);
    }

    /// <summary>Every mint transaction of the program (from the pipeline's admin view), its gas and Transfer logs from its receipt.</summary>
    private static async Task<(int Transactions, long Gas, long HolderMints)> GasAsync(BenchProgram program, Rpc rpc, string rootKey, CancellationToken ct)
    {
        var txs = (await program.Api.GetAsync("/v1/admin/chain-txs?limit=500", rootKey, ct)).AsArray()
            .Where(t => t!["purpose"]!.GetValue<string>() == MintPurpose && t["reference"]?.GetValue<string>() == program.Id.ToString())
            .Select(t => t!["hash"]?.GetValue<string>()).Where(h => h is not null).ToList();
        if (txs.Count >= 500) throw new InvalidOperationException("more than 500 mint transactions: the admin listing cannot show them all");
        long gas = 0, holders = 0;
        foreach (var hash in txs)
        {
            var receipt = await rpc.ReceiptAsync(hash!, ct) ?? throw new InvalidOperationException($"no receipt for {hash}");
            gas += (long)Rpc.Quantity(receipt["gasUsed"]);
            holders += receipt["logs"]!.AsArray().Count(l => l!["topics"]!.AsArray().FirstOrDefault()?.GetValue<string>() == TransferTopic);
        }
        return (txs.Count, gas, holders);
    }
}
