using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Model;
using Nethereum.Signer;
using Nethereum.Util;

namespace Loyalty.Chain.Transactions;

/// <summary>Builds and signs EIP-1559 transactions locally; the hash is known before anything is sent.</summary>
internal static class TransactionSigner
{
    public static (string Raw, string Hash) Sign(EthECKey key, long chainId, long nonce, string? to, BigInteger value,
        string data, long gasLimit, BigInteger maxFee, BigInteger maxPriorityFee)
    {
        var tx = new Transaction1559(chainId, nonce, maxPriorityFee, maxFee, gasLimit, to ?? "", value, data, null);
        new Transaction1559Signer().SignTransaction(key, tx);
        var rawBytes = tx.GetRLPEncoded();
        var hash = "0x" + Sha3Keccack.Current.CalculateHash(rawBytes).ToHex();
        return ("0x" + rawBytes.ToHex(), hash);
    }
}
