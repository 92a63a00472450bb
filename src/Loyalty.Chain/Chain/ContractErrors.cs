using System.Reflection;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.JsonRpc.Client;
using Nethereum.Util;

namespace Loyalty.Chain.Chain;

/// <summary>
/// Names the custom error in revert data using the generated [Error] DTOs of our contracts, so a
/// reverted transaction is recorded as e.g. LoyaltyPointsZeroAmount rather than as opaque bytes.
/// </summary>
public static class ContractErrors
{
    private static readonly Dictionary<string, string> BySelector = Build();

    private static Dictionary<string, string> Build()
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var assembly = typeof(Contracts.LoyaltyPoints.LoyaltyPointsService).Assembly;
        foreach (var type in assembly.GetTypes())
        {
            var error = type.GetCustomAttribute<ErrorAttribute>();
            if (error is null) continue;
            var types = type.GetProperties()
                .Select(p => p.GetCustomAttribute<ParameterAttribute>())
                .Where(p => p is not null).OrderBy(p => p!.Order).Select(p => p!.Type);
            var signature = $"{error.Name}({string.Join(',', types)})";
            map[Sha3Keccack.Current.CalculateHash(signature)[..8]] = error.Name;
        }
        return map;
    }

    /// <summary>The error name for revert data (0x-prefixed hex), or null when unknown.</summary>
    public static string? NameOf(string? revertData)
    {
        if (string.IsNullOrEmpty(revertData)) return null;
        var hex = revertData.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? revertData[2..] : revertData;
        if (hex.Length < 8) return null;
        if (hex[..8].Equals("08c379a0", StringComparison.OrdinalIgnoreCase)) return "Error";
        if (hex[..8].Equals("4e487b71", StringComparison.OrdinalIgnoreCase)) return "Panic";
        return BySelector.GetValueOrDefault(hex[..8]);
    }

    /// <summary>Finds revert data in a node error (JSON-RPC error.data), when there is any.</summary>
    public static string? RevertData(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is RpcResponseException rpc && rpc.RpcError?.Data is { } data)
            {
                var text = data switch
                {
                    Newtonsoft.Json.Linq.JValue v => v.ToString(),
                    Newtonsoft.Json.Linq.JObject o => o["data"]?.ToString(),
                    string s => s,
                    _ => null,
                };
                if (text is not null && text.StartsWith("0x")) return text;
            }
            if (e is Nethereum.Contracts.SmartContractCustomErrorRevertException custom) return custom.ExceptionEncodedData;
        }
        return null;
    }
}
