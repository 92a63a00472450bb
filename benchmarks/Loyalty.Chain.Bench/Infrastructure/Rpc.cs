using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>Plain JSON-RPC to the node, for what the bench checks on its own (receipts, supply, mining settings).</summary>
public sealed class Rpc(HttpClient http, string url)
{
    private long _id;

    public string Url => url;

    public async Task<JsonNode?> CallAsync(string method, JsonArray? args = null, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = Interlocked.Increment(ref _id), ["method"] = method, ["params"] = args ?? [],
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(url, content, ct);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))
                     ?? throw new InvalidOperationException($"{method}: empty answer");
        if (answer["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return answer["result"];
    }

    public static BigInteger Quantity(JsonNode? hex)
    {
        var s = hex?.GetValue<string>() ?? throw new InvalidOperationException("missing quantity");
        return BigInteger.Parse("0" + s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public static string Hex(BigInteger value)
    {
        var digits = value.ToString("x").TrimStart('0');
        return "0x" + (digits.Length == 0 ? "0" : digits);
    }

    /// <summary>Receipt of a mined transaction (null while it is not mined).</summary>
    public Task<JsonNode?> ReceiptAsync(string hash, CancellationToken ct) => CallAsync("eth_getTransactionReceipt", [hash], ct);

    public async Task<BigInteger> TotalSupplyAsync(string token, CancellationToken ct)
    {
        // totalSupply() selector
        var result = await CallAsync("eth_call", [new JsonObject { ["to"] = token, ["data"] = "0x18160ddd" }, "latest"], ct);
        return Quantity(result);
    }

    public Task SetBalanceAsync(string address, BigInteger wei, CancellationToken ct) =>
        CallAsync("hardhat_setBalance", [address, Hex(wei)], ct);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
