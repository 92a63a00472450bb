using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;

namespace Loyalty.Chain.Partners;

/// <summary>
/// EIP-712 statement "<see cref="Holder"/> held at least <see cref="MinBalance"/> points of <see cref="Token"/>
/// (and tier <see cref="Tier"/>, when not empty) at block <see cref="BlockNumber"/>", signed by the program's
/// attestation key. The block hash pins the statement to one chain history, so a reorg makes it checkably stale.
/// </summary>
[Struct("BalanceAttestation")]
public sealed class BalanceAttestation
{
    [Parameter("address", "holder", 1)] public string Holder { get; set; } = "";
    [Parameter("address", "token", 2)] public string Token { get; set; } = "";
    [Parameter("uint256", "minBalance", 3)] public BigInteger MinBalance { get; set; }
    [Parameter("string", "tier", 4)] public string Tier { get; set; } = "";
    [Parameter("uint256", "blockNumber", 5)] public BigInteger BlockNumber { get; set; }
    [Parameter("bytes32", "blockHash", 6)] public byte[] BlockHash { get; set; } = new byte[32];
    [Parameter("uint256", "issuedAt", 7)] public BigInteger IssuedAt { get; set; }
}

/// <summary>A balance read from the chain at one block, with what a partner needs to re-check it against any node.</summary>
public sealed record PinnedBalance(long ChainId, string Contract, string Address, BigInteger Balance, long BlockNumber, string BlockHash);

/// <summary>A signed attestation: the typed data exactly as a wallet would sign it, the signature and the signer.</summary>
public sealed record SignedAttestation(System.Text.Json.Nodes.JsonObject TypedData, string Signature, string Signer, BalanceAttestation Message);
