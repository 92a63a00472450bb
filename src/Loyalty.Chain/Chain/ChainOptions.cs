using System.ComponentModel.DataAnnotations;

namespace Loyalty.Chain.Chain;

/// <summary>The chain the service talks to and how its transactions are priced and confirmed (section "Chain").</summary>
public sealed class ChainOptions
{
    public const string Section = "Chain";

    [Required] public string RpcUrl { get; set; } = "http://127.0.0.1:8545";
    [Range(1, long.MaxValue)] public long ChainId { get; set; } = 31337;

    /// <summary>Blocks on top of (and including) the one a transaction landed in before it is Final.</summary>
    [Range(1, 1000)] public int ConfirmationDepth { get; set; } = 3;

    /// <summary>Never pay more than this per gas (wei, decimal string); work waits instead.</summary>
    public string MaxFeePerGasWei { get; set; } = "200000000000";
    /// <summary>Lowest tip offered (wei); a floor for quiet chains where fee history shows zero tips.</summary>
    public string MinPriorityFeePerGasWei { get; set; } = "1000000000";
    /// <summary>Gas limit = estimate x (1 + margin), capped at <see cref="MaxTransactionGas"/>.</summary>
    [Range(0, 2)] public double GasEstimateMargin { get; set; } = 0.2;
    /// <summary>EIP-7825 caps a transaction at 2^24 gas.</summary>
    public long MaxTransactionGas { get; set; } = 16_777_216;

    /// <summary>A sent transaction without a receipt for this long is replaced with higher fees.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>A transaction still without a receipt this long after it was first sent (replacements included) raises TX_STUCK.</summary>
    public TimeSpan StuckAlertAfter { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>
    /// Consecutive confirm passes that must see a nonce consumed with none of our hashes known before a row whose
    /// purpose is idempotent on chain is signed again with a new nonce (one lagging node's answer is not enough).
    /// </summary>
    [Range(2, 1000)] public int ReSignAfterPasses { get; set; } = 3;
    /// <summary>Backoff after a transport error before the same row is tried again.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>A paused sender is unpaused once its balance covers this many wei.</summary>
    public string MinOperatorBalanceWei { get; set; } = "10000000000000000";
    /// <summary>
    /// Wei the operator sends a program's relayer and admin keys when they are created, and again each time one of them
    /// runs out of gas money (the operator stays the one account an operator funds).
    /// </summary>
    public string ServiceKeyFundingWei { get; set; } = "100000000000000000";
}
