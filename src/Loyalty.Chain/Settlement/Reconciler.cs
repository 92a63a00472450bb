using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace Loyalty.Chain.Settlement;

public sealed record MemberDrift(string MemberId, string Address, string Ledger, string Chain);

/// <summary>One comparison of the ledger with the chain for one program, at one block.</summary>
public sealed class ReconciliationReport
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public DateTime CheckedAt { get; set; }
    public long Block { get; set; }
    /// <summary>What the chain should show at <see cref="Block"/> by the ledger: applied on-chain balances, plus batches mined by
    /// that block and not applied yet (their receipt read from the node when the confirmer has not recorded it), minus
    /// batches applied but mined after it.</summary>
    public BigInteger LedgerOnChain { get; set; }
    public BigInteger ChainTotalSupply { get; set; }
    public int MembersChecked { get; set; }
    public int DriftCount { get; set; }
    public string Drifts { get; set; } = "[]";
    public bool Reconciled { get; set; }
}

internal sealed class ReconciliationReportConfiguration : IEntityTypeConfiguration<ReconciliationReport>
{
    public void Configure(EntityTypeBuilder<ReconciliationReport> b)
    {
        b.ToTable("ReconciliationReports");
        b.HasIndex(x => new { x.ProgramId, x.Id });
    }
}

/// <summary>
/// Compares each custodial member's on-chain balance as the ledger knows it with balanceOf on chain, and the
/// program total with totalSupply, at one block. Drift is reported (API, metric, log) and never silently
/// written back into the ledger: a difference means a bug or an outside action that a person must look at.
/// Self-custody wallets are excluded per member: for them the chain (through the indexer) is the source.
/// </summary>
public sealed class Reconciler(LoyaltyDbContext db, Web3Factory web3Factory, Alerts.AlertSink alerts, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<SettlementOptions> options, ILogger<Reconciler> logger)
{
    /// <summary>Chunks read at once: the node answers several calls in parallel, and 100,000 members are 100 chunks.</summary>
    private const int ParallelChunks = 4;

    public const string DriftAlert = "RECONCILIATION_DRIFT";

    private sealed record Holder(long Id, string ExternalId, string WalletAddress, WalletKind WalletKind, long OnChain);
    private sealed record OpenBatch(long Id, string Kind, BatchStatus Status, long TxId, ChainTxOutcome? Outcome, long? BlockNumber, string? MinedHash);
    private sealed record BatchShare(long BatchId, int? Index, long MemberId, long Amount);

    public async Task<ReconciliationReport> ReconcileAsync(LoyaltyProgram program, CancellationToken ct)
    {
        if (program.Status != ProgramStatus.Active || program.PointsContract is null)
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", "the program's contracts are not deployed yet", 409);
        var web3 = web3Factory.Get();
        var block = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var at = new BlockParameter(new HexBigInteger(block));
        var points = new LoyaltyPointsService(web3, program.PointsContract);

        // One snapshot of the ledger; the chain's side of each unapplied batch is read after it, outside any transaction.
        var (members, open, hashes, mints, burns) = await db.InReadSnapshotAsync(async c =>
        {
            var members = await (from m in db.Set<Member>()
                                 join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                                 where m.ProgramId == program.Id
                                 select new Holder(m.Id, m.ExternalId, m.WalletAddress, m.WalletKind, b.OnChain)).AsNoTracking().ToListAsync(c);
            // Batches the members' on-chain balances do not show yet (pending), or show but the chain did not at this
            // block yet (applied from a block after it).
            var open = await (from b in db.Set<SettlementBatch>()
                              join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                              where b.ProgramId == program.Id
                                    && ((b.Status == BatchStatus.Pending && (t.Outcome == null || t.Outcome == ChainTxOutcome.Succeeded))
                                        || (b.Status == BatchStatus.Confirmed && t.BlockNumber > block))
                              select new OpenBatch(b.Id, b.Kind, b.Status, t.Id, t.Outcome, t.BlockNumber, t.MinedHash)).AsNoTracking().ToListAsync(c);
            var unknown = open.Where(o => o.Status == BatchStatus.Pending && o.Outcome is null).Select(o => o.TxId).ToList();
            var hashes = unknown.Count == 0 ? [] : await db.Set<ChainTxAttempt>().Where(a => unknown.Contains(a.ChainTxId) && !a.IsCancellation)
                .OrderByDescending(a => a.Id).Select(a => new { a.ChainTxId, a.Hash }).AsNoTracking().ToListAsync(c);
            var mintIds = open.Where(o => o.Kind == SettlementBatch.KindMint).Select(o => (long?)o.Id).ToList();
            var burnIds = open.Where(o => o.Kind == SettlementBatch.KindBurn).Select(o => (long?)o.Id).ToList();
            var mints = mintIds.Count == 0 ? [] : await db.Set<MintIntent>().Where(i => mintIds.Contains(i.BatchId))
                .Select(i => new BatchShare(i.BatchId!.Value, null, i.MemberId, i.Amount)).AsNoTracking().ToListAsync(c);
            var burns = burnIds.Count == 0 ? [] : await db.Set<Redemption.Redemption>().Where(r => burnIds.Contains(r.BatchId))
                .Select(r => new BatchShare(r.BatchId!.Value, r.BatchIndex, r.MemberId, r.Cost)).AsNoTracking().ToListAsync(c);
            return (members, open, hashes.GroupBy(h => h.ChainTxId).ToDictionary(g => g.Key, g => g.Select(h => h.Hash).ToList()), mints, burns);
        }, ct);

        // What each member's balance at this block is by the ledger: its applied on-chain balance, plus the batches
        // that landed by this block and are not applied yet, minus those applied but landed after it.
        var inflightByMember = new Dictionary<long, BigInteger>();
        void Shift(IEnumerable<BatchShare> shares, int sign)
        {
            foreach (var s in shares) inflightByMember[s.MemberId] = inflightByMember.GetValueOrDefault(s.MemberId) + sign * new BigInteger(s.Amount);
        }
        var mintsByBatch = mints.ToLookup(x => x.BatchId);
        var burnsByBatch = burns.ToLookup(x => x.BatchId);
        foreach (var o in open)
        {
            if (o.Status == BatchStatus.Confirmed)
            {
                // Applied, mined after this block: the redemptions still in a burn batch are the ones it burned.
                if (o.Kind == SettlementBatch.KindMint) Shift(mintsByBatch[o.Id], -1);
                else Shift(burnsByBatch[o.Id], +1);
                continue;
            }
            string? landed = null;
            Nethereum.RPC.Eth.DTOs.TransactionReceipt? landedReceipt = null;
            if (o.Outcome == ChainTxOutcome.Succeeded) landed = o.BlockNumber <= block ? o.MinedHash : null;
            else
            {
                // Sent, its receipt not recorded yet: the chain may have mined it already (the confirmer is a step behind).
                foreach (var hash in hashes.GetValueOrDefault(o.TxId) ?? [])
                {
                    var receipt = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash);
                    if (receipt is null) continue;
                    if (receipt.Status?.Value == 1 && (long)receipt.BlockNumber.Value <= block) (landed, landedReceipt) = (hash, receipt);
                    break;
                }
            }
            if (landed is null) continue;
            if (o.Kind == SettlementBatch.KindMint) { Shift(mintsByBatch[o.Id], +1); continue; }
            // A burn batch skips entries whose signature no longer holds (SignedBurnSkipped): those burned nothing.
            // A node that no longer serves the receipt (lagging, pruned): the batch counts as not landed this time, not a crash.
            var receiptOfBurn = landedReceipt ?? await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(landed);
            if (receiptOfBurn is null) continue;
            var skipped = receiptOfBurn.DecodeAllEvents<SignedBurnSkippedEventDTO>().Select(e => (int)e.Event.Index).ToHashSet();
            Shift(burnsByBatch[o.Id].Where(b => !skipped.Contains(b.Index ?? -1)), -1);
        }
        var drifts = new List<MemberDrift>();
        BigInteger expectedTotal = 0;
        foreach (var m in members) expectedTotal += new BigInteger(m.OnChain) + inflightByMember.GetValueOrDefault(m.Id);
        // One eth_call per chunk of custodial members instead of one per member, every chunk at the same block.
        var custodial = members.Where(m => m.WalletKind == WalletKind.Custodial).ToList();
        var chunks = custodial.Chunk(options.Value.ReconcileChunkSize).ToList();
        var balances = new IReadOnlyList<BigInteger>[chunks.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelChunks, CancellationToken = ct },
            async (c, _) => balances[c] = await BalanceReads.BalancesOfAsync(web3, program.PointsContract, chunks[c].Select(m => m.WalletAddress).ToList(), at));
        for (var c = 0; c < chunks.Count; c++)
        {
            for (var i = 0; i < chunks[c].Length; i++)
            {
                var m = chunks[c][i];
                var expected = new BigInteger(m.OnChain) + inflightByMember.GetValueOrDefault(m.Id);
                var actual = balances[c][i];
                if (actual != expected) drifts.Add(new MemberDrift(m.ExternalId, m.WalletAddress, expected.ToString(), actual.ToString()));
            }
        }
        var supply = await points.TotalSupplyQueryAsync(at);
        var report = new ReconciliationReport
        {
            ProgramId = program.Id, CheckedAt = time.GetUtcNow().UtcDateTime, Block = block, LedgerOnChain = expectedTotal,
            ChainTotalSupply = supply, MembersChecked = members.Count, DriftCount = drifts.Count,
            Drifts = System.Text.Json.JsonSerializer.Serialize(drifts.Take(1000)),
            Reconciled = drifts.Count == 0 && supply == expectedTotal,
        };
        db.Set<ReconciliationReport>().Add(report);
        await db.SaveChangesAsync(ct);
        Telemetry.LoyaltyMeters.RecordDrift(program.Id, drifts.Count + (supply == expectedTotal ? 0 : 1));
        var subject = $"program:{program.Id}";
        if (!report.Reconciled)
        {
            logger.LogError("Program {ProgramId} drifts at block {Block}: {Count} members, ledger {Ledger} vs supply {Supply}",
                program.Id, block, drifts.Count, expectedTotal, supply);
            var named = string.Join(", ", drifts.Take(10).Select(d => $"{d.MemberId} (ledger {d.Ledger}, chain {d.Chain})"));
            await alerts.RaiseAsync(DriftAlert, subject,
                $"Program {program.Id} drifts from the chain at block {block}: ledger total {expectedTotal}, totalSupply {supply}; " +
                $"{drifts.Count} members differ{(drifts.Count > 0 ? ": " + named : "")}{(drifts.Count > 10 ? ", ..." : "")}.", ct);
        }
        else await alerts.ResolveAsync(DriftAlert, subject, ct);
        return report;
    }
}
