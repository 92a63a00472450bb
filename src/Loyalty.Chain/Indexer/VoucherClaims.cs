using System.Globalization;
using System.Numerics;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Util;

namespace Loyalty.Chain.Indexer;

/// <summary>One VoucherClaimed(dropId, recipient, nonce, tokenId) of LoyaltyCollectible.</summary>
internal readonly record struct VoucherClaim(long BlockNumber, BigInteger DropId, string Recipient, BigInteger Nonce, BigInteger TokenId);

/// <summary>VoucherClaimed has dropId and recipient indexed (topics 1 and 2) and nonce, tokenId in data.</summary>
internal static class VoucherClaims
{
    public static readonly string Topic = "0x" + Sha3Keccack.Current.CalculateHash("VoucherClaimed(uint256,address,uint256,uint256)");

    public static List<VoucherClaim> Decode(IEnumerable<FilterLog> logs, long from, long to)
    {
        var claims = new List<VoucherClaim>();
        foreach (var log in logs)
        {
            var topics = (log.Topics ?? []).Select(t => t?.ToString() ?? "").ToArray();
            if (log.Removed || topics.Length != 3 || !topics[0].Equals(Topic, StringComparison.OrdinalIgnoreCase)) continue;
            var data = log.Data is { } d && d.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? d[2..] : log.Data ?? "";
            if (data.Length != 128) continue;
            var block = (long)log.BlockNumber.Value;
            if (block < from || block > to) continue;
            claims.Add(new(block, Word(topics[1][2..]), "0x" + topics[2][^40..].ToLowerInvariant(), Word(data[..64]), Word(data[64..])));
        }
        return claims;
    }

    // The leading 0 keeps a uint256 with its top bit set positive.
    private static BigInteger Word(string hex) => BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
