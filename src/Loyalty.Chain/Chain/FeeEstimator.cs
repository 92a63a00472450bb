using System.Globalization;
using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Chain;

public sealed record Eip1559Fees(BigInteger MaxFeePerGas, BigInteger MaxPriorityFeePerGas)
{
    /// <summary>
    /// Fees for a replacement of the same nonce: nodes require at least +10% on both fields, we add
    /// 12.5% (and 1 wei) so rounding can never fall short; never below what the market asks now.
    /// </summary>
    public Eip1559Fees BumpedAtLeastTo(Eip1559Fees market)
    {
        static BigInteger Bump(BigInteger v) => v + (v / 8) + 1;
        return new(BigInteger.Max(Bump(MaxFeePerGas), market.MaxFeePerGas),
            BigInteger.Max(Bump(MaxPriorityFeePerGas), market.MaxPriorityFeePerGas));
    }
}

/// <summary>EIP-1559 fees from eth_feeHistory: twice the next base fee plus the median recent tip.</summary>
public sealed class FeeEstimator(ChainOptions options)
{
    public BigInteger Ceiling { get; } = BigInteger.Parse(options.MaxFeePerGasWei, CultureInfo.InvariantCulture);
    private readonly BigInteger _minTip = BigInteger.Parse(options.MinPriorityFeePerGasWei, CultureInfo.InvariantCulture);

    /// <summary>Market fees now, and the next block's base fee.</summary>
    public async Task<(Eip1559Fees Fees, BigInteger NextBaseFee)> EstimateAsync(IWeb3 web3, CancellationToken ct)
    {
        var history = await web3.Eth.FeeHistory.SendRequestAsync(new HexBigInteger(5), BlockParameter.CreatePending(), [50]);
        var nextBase = history.BaseFeePerGas.Length > 0 ? history.BaseFeePerGas[^1].Value : BigInteger.Zero;
        var tips = (history.Reward ?? []).Where(r => r.Length > 0).Select(r => r[0].Value).OrderBy(v => v).ToList();
        var tip = tips.Count > 0 ? tips[tips.Count / 2] : BigInteger.Zero;
        tip = BigInteger.Max(tip, _minTip);
        return (new Eip1559Fees(nextBase * 2 + tip, tip), nextBase);
    }

    /// <summary>Caps fees at the configured ceiling; null when even the base fee is above it (wait).</summary>
    public Eip1559Fees? Cap(Eip1559Fees fees, BigInteger nextBaseFee)
    {
        if (nextBaseFee + 1 > Ceiling) return null;
        var maxFee = BigInteger.Min(fees.MaxFeePerGas, Ceiling);
        return new(maxFee, BigInteger.Min(fees.MaxPriorityFeePerGas, maxFee));
    }
}
