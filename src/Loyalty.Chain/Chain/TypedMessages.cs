using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Text.Json.Nodes;
using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;

namespace Loyalty.Chain.Chain;

/// <summary>EIP-712 `Burn` of LoyaltyPoints: the holder authorises burning <see cref="Value"/>.</summary>
[Struct("Burn")]
public sealed class BurnMessage
{
    [Parameter("address", "owner", 1)] public string Owner { get; set; } = "";
    [Parameter("uint256", "value", 2)] public BigInteger Value { get; set; }
    [Parameter("uint256", "nonce", 3)] public BigInteger Nonce { get; set; }
    [Parameter("uint256", "deadline", 4)] public BigInteger Deadline { get; set; }
}

/// <summary>EIP-712 `Transfer` of LoyaltyPoints: the holder authorises moving points to <see cref="To"/>.</summary>
[Struct("Transfer")]
public sealed class PointsTransferMessage
{
    [Parameter("address", "owner", 1)] public string Owner { get; set; } = "";
    [Parameter("address", "to", 2)] public string To { get; set; } = "";
    [Parameter("uint256", "value", 3)] public BigInteger Value { get; set; }
    [Parameter("uint256", "nonce", 4)] public BigInteger Nonce { get; set; }
    [Parameter("uint256", "deadline", 5)] public BigInteger Deadline { get; set; }
}

/// <summary>EIP-712 `Transfer` of LoyaltyCollectible: the holder authorises moving one token.</summary>
[Struct("Transfer")]
public sealed class CollectibleTransferMessage
{
    [Parameter("address", "from", 1)] public string From { get; set; } = "";
    [Parameter("address", "to", 2)] public string To { get; set; } = "";
    [Parameter("uint256", "tokenId", 3)] public BigInteger TokenId { get; set; }
    [Parameter("uint256", "nonce", 4)] public BigInteger Nonce { get; set; }
    [Parameter("uint256", "deadline", 5)] public BigInteger Deadline { get; set; }
}

/// <summary>EIP-712 `Claim` voucher of LoyaltyCollectible, signed by a claim-signer key.</summary>
[Struct("Claim")]
public sealed class ClaimMessage
{
    [Parameter("address", "recipient", 1)] public string Recipient { get; set; } = "";
    [Parameter("uint256", "dropId", 2)] public BigInteger DropId { get; set; }
    [Parameter("uint256", "nonce", 3)] public BigInteger Nonce { get; set; }
    [Parameter("uint256", "deadline", 4)] public BigInteger Deadline { get; set; }
}

/// <summary>
/// Builds and signs the typed data our contracts verify. The domain is (token name, "1", chainId,
/// contract), so a signature is bound to one chain and one deployment.
/// </summary>
public static class LoyaltyTypedData
{
    public const string DomainVersion = "1";

    public static TypedData<Domain> For<TMessage>(string domainName, BigInteger chainId, string verifyingContract)
    {
        var primaryType = typeof(TMessage).GetCustomAttributes(typeof(StructAttribute), false)
            .Cast<StructAttribute>().Single().Name;
        return new TypedData<Domain>
        {
            Domain = new Domain
            {
                Name = domainName,
                Version = DomainVersion,
                ChainId = chainId,
                VerifyingContract = verifyingContract,
            },
            Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(TMessage)),
            PrimaryType = primaryType,
        };
    }

    /// <summary>Signs <paramref name="message"/> and returns the 65-byte r‖s‖v signature.</summary>
    public static byte[] Sign<TMessage>(TMessage message, string domainName, BigInteger chainId, string verifyingContract, EthECKey key)
    {
        var typedData = For<TMessage>(domainName, chainId, verifyingContract);
        var hex = new Eip712TypedDataSigner().SignTypedDataV4(message, typedData, key);
        return Convert.FromHexString(hex.StartsWith("0x") ? hex[2..] : hex);
    }

    /// <summary>
    /// The typed data exactly as eth_signTypedData_v4 takes it, for a wallet to show and sign: the types come from
    /// the same descriptions the signer hashes, so the JSON cannot drift from what is verified; uint256 values are
    /// decimal strings and bytes 0x hex.
    /// </summary>
    public static JsonObject ToWalletJson<TMessage>(TMessage message, string domainName, long chainId, string verifyingContract)
    {
        var typedData = For<TMessage>(domainName, chainId, verifyingContract);
        var types = new JsonObject();
        foreach (var (name, members) in typedData.Types)
            types[name] = new JsonArray(members.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["type"] = m.Type }).ToArray());
        var values = new JsonObject();
        foreach (var property in typeof(TMessage).GetProperties())
        {
            if (property.GetCustomAttribute<ParameterAttribute>() is not { } parameter) continue;
            values[parameter.Name] = property.GetValue(message) switch
            {
                BigInteger v => v.ToString(CultureInfo.InvariantCulture),
                byte[] v => v.ToHex(true),
                var v => v?.ToString(),
            };
        }
        return new JsonObject
        {
            ["types"] = types,
            ["primaryType"] = typedData.PrimaryType,
            ["domain"] = new JsonObject
            {
                ["name"] = domainName, ["version"] = DomainVersion, ["chainId"] = chainId, ["verifyingContract"] = verifyingContract,
            },
            ["message"] = values,
        };
    }

    /// <summary>Recovers the signer of a typed message (used to verify what self-custody members post).</summary>
    public static string Recover<TMessage>(TMessage message, string domainName, BigInteger chainId, string verifyingContract, byte[] signature)
    {
        var typedData = For<TMessage>(domainName, chainId, verifyingContract);
        typedData.SetMessage(message);
        return new Eip712TypedDataSigner().RecoverFromSignatureV4(typedData, "0x" + Convert.ToHexString(signature));
    }
}
