using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Indexer;

/// <summary>Transfer-log indexing (section "Indexer"). Confirmation depth is <c>Chain:ConfirmationDepth</c>.</summary>
public sealed class IndexerOptions
{
    public const string Section = "Indexer";

    /// <summary>Most blocks per eth_getLogs call (public providers cap it; 2,000 is accepted widely).</summary>
    [Range(1, 1_000_000)] public int MaxBlockRange { get; set; } = 2000;

    /// <summary>How often the recurring scan runs.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><see cref="Interval"/> as a six-field Hangfire cron (seconds below a minute, else minutes).</summary>
    public string ToCron() => Interval < TimeSpan.FromMinutes(1)
        ? $"*/{Math.Max(1, (int)Interval.TotalSeconds)} * * * * *"
        : $"0 */{Math.Max(1, (int)Interval.TotalMinutes)} * * * *";
}
