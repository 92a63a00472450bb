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
    /// <summary>What the chain should show by the ledger: confirmed on-chain balances plus mined batches not yet applied.</summary>
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

    public async Task<ReconciliationReport> ReconcileAsync(LoyaltyProgram program, CancellationToken ct)
    {
        if (program.Status != ProgramStatus.Active || program.PointsContract is null)
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", "the program's contracts are not deployed yet", 409);
        var web3 = web3Factory.Get();
        var block = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var at = new BlockParameter(new HexBigInteger(block));
        var points = new LoyaltyPointsService(web3, program.PointsContract);

        var inflight = await (from i in db.Set<MintIntent>()
                              join b in db.Set<SettlementBatch>() on i.BatchId equals b.Id
                              join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                              where i.ProgramId == program.Id && b.Status == BatchStatus.Pending && t.Outcome == ChainTxOutcome.Succeeded
                                    && t.BlockNumber <= block
                              select new { i.MemberId, i.Amount }).ToListAsync(ct);
        var inflightByMember = inflight.GroupBy(x => x.MemberId).ToDictionary(g => g.Key, g => g.Sum(x => x.Amount));
        var members = await (from m in db.Set<Member>()
                             join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                             where m.ProgramId == program.Id
                             select new { m.Id, m.ExternalId, m.WalletAddress, m.WalletKind, b.OnChain }).AsNoTracking().ToListAsync(ct);

        var drifts = new List<MemberDrift>();
        BigInteger expectedTotal = 0;
        foreach (var m in members) expectedTotal += new BigInteger(m.OnChain + inflightByMember.GetValueOrDefault(m.Id));
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
                var expected = new BigInteger(m.OnChain + inflightByMember.GetValueOrDefault(m.Id));
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
