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
    /// <summary>Intents taken per program per settlement round.</summary>
    [Range(1, 1_000_000)] public int MaxIntentsPerRound { get; set; } = 50_000;
    /// <summary>Accruals matured per pass.</summary>
    [Range(1, 1_000_000)] public int MaturationBatch { get; set; } = 5_000;
}
