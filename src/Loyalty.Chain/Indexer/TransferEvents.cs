using System.Globalization;
using System.Numerics;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Util;

namespace Loyalty.Chain.Indexer;

/// <summary>One decoded Transfer, addresses lower-case.</summary>
internal readonly record struct DecodedTransfer(
    long BlockNumber, string BlockHash, string TxHash, long LogIndex, string From, string To, BigInteger Value, BigInteger? TokenId);

/// <summary>
/// ERC-20 and ERC-721 share the Transfer signature and so topic0; they differ in shape: ERC-20 has
/// 3 topics and the value in data, ERC-721 has 4 topics with the token id last.
/// </summary>
internal static class TransferEvents
{
    public static readonly string Topic = "0x" + Sha3Keccack.Current.CalculateHash("Transfer(address,address,uint256)");
    public const string ZeroAddress = "0x0000000000000000000000000000000000000000";

    /// <summary>Null when the log does not have the shape of <paramref name="standard"/>'s Transfer.</summary>
    public static DecodedTransfer? Decode(FilterLog log, TokenStandard standard)
    {
        var topics = (log.Topics ?? []).Select(t => t?.ToString() ?? "").ToArray();
        if (topics.Length < 3 || !topics[0].Equals(Topic, StringComparison.OrdinalIgnoreCase) || log.Removed) return null;
        var from = AddressOf(topics[1]);
        var to = AddressOf(topics[2]);
        var (value, tokenId) = (standard, topics.Length) switch
        {
            (TokenStandard.Erc20, 3) => (Word(log.Data), (BigInteger?)null),
            (TokenStandard.Erc721, 4) => (BigInteger.One, Word(topics[3])),
            _ => (BigInteger.MinusOne, null),
        };
        if (value.Sign < 0) return null;
        return new((long)log.BlockNumber.Value, log.BlockHash.ToLowerInvariant(), log.TransactionHash.ToLowerInvariant(),
            (long)log.LogIndex.Value, from, to, value, tokenId);
    }

    /// <summary>
    /// The node refused eth_getLogs for the size of its answer or of the block range (geth/Infura
    /// "query returned more than 10000 results", Alchemy "Log response size exceeded", Besu, Nethermind
    /// and QuickNode range limits, EIP-1474 code -32005): ask for a smaller range.
    /// </summary>
    public static bool IsRangeTooLarge(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is not RpcResponseException rpc) continue;
            if (rpc.RpcError?.Code == -32005) return true;
            var m = (rpc.RpcError?.Message ?? rpc.Message).ToLowerInvariant();
            if (m.Contains("more than") || m.Contains("too many") || m.Contains("too large") || m.Contains("response size")
                || m.Contains("limit exceeded") || m.Contains("exceeds") || m.Contains("exceed maximum")
                || (m.Contains("range") && (m.Contains("limit") || m.Contains("max"))))
                return true;
        }
        return false;
    }

    private static string AddressOf(string topic) => "0x" + topic[^40..].ToLowerInvariant();

    private static BigInteger Word(string? hex)
    {
        var digits = hex is null ? "" : hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        // The leading 0 keeps a uint256 with its top bit set positive.
        return digits.Length == 0 ? BigInteger.Zero : BigInteger.Parse("0" + digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
