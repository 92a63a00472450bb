using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Settlement;

/// <summary>Settlement settings (section "Settlement").</summary>
public sealed class SettlementOptions
{
    public const string Section = "Settlement";
    /// <summary>
    /// Recipients per mintBatch. A fresh holder costs about 25.6k gas, so 653 fit under the 16,777,216 cap
    /// (scripts/gas-report.sh); 500 leaves room for the gas margin and for chains that price storage higher.
    /// </summary>
    [Range(1, 650)] public int MaxBatchSize { get; set; } = 500;
    /// <summary>
    /// Intents taken per program per settlement round. A member appears once per round whatever their number
    /// of intents, so a round that takes the whole queue mints each holder once: with 50,000, 100,000 accruals
    /// for 10,000 members took two rounds, 40 transactions and a second (8.8k gas) mint per holder; with
    /// 200,000 they take one round and 20 (scripts/bench.sh). On SQLite the round holds the write gate
    /// (and so delays intake) while it is cut.
    /// </summary>
    [Range(1, 1_000_000)] public int MaxIntentsPerRound { get; set; } = 200_000;
    /// <summary>
    /// A program's queue is settled once its oldest intent is this old (or on demand). Waiting lets intents of
    /// the same member merge and batches fill: fewer, fuller transactions, the whole point of batching.
    /// </summary>
    public TimeSpan MaxIntentAge { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Accruals matured per pass.</summary>
    [Range(1, 1_000_000)] public int MaturationBatch { get; set; } = 5_000;
    /// <summary>
    /// Custodial balances the reconciler reads per eth_call (BalanceReader, about 6k gas a holder). Its answer is
    /// returned as contract code, which EIP-170 caps at 24,576 bytes: 766 balances at most (the first bench run with
    /// 1,000 got "code is too large"); 500 leaves room and stays far under nodes' call gas caps.
    /// </summary>
    [Range(1, 700)] public int ReconcileChunkSize { get; set; } = 500;
}
