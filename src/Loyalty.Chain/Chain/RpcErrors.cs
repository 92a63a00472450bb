using System.Net.Sockets;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;

namespace Loyalty.Chain.Chain;

/// <summary>What went wrong talking to a node; each kind is handled differently by the pipeline.</summary>
public enum RpcErrorKind
{
    /// <summary>Not an error we recognise: treated as transient but reported with its message.</summary>
    Unknown,
    /// <summary>The node could not be reached or did not answer: retry with backoff.</summary>
    Transport,
    /// <summary>The nonce is already used: resync, the transaction may already be mined by us.</summary>
    NonceTooLow,
    /// <summary>The node already has this exact transaction: it was sent, nothing to do.</summary>
    AlreadyKnown,
    /// <summary>A replacement did not raise fees enough: bump again.</summary>
    ReplacementUnderpriced,
    /// <summary>The sender cannot pay for gas: pause the sender and raise an alert.</summary>
    InsufficientFunds,
    /// <summary>The EVM reverted: decode the custom error; terminal.</summary>
    Reverted,
    /// <summary>The fee is below what the node accepts now.</summary>
    FeeTooLow,
}

public sealed record RpcFailure(RpcErrorKind Kind, string Code, string Message);

/// <summary>Classifies node errors by their JSON-RPC message (geth, Hardhat/EDR, Nethermind, Besu wording).</summary>
public static class RpcErrors
{
    public static RpcFailure Classify(Exception ex)
    {
        switch (ex)
        {
            case SmartContractCustomErrorRevertException custom:
                return new(RpcErrorKind.Reverted, "REVERTED", "custom error " + custom.ExceptionEncodedData);
            case SmartContractRevertException revert:
                return new(RpcErrorKind.Reverted, "REVERTED", revert.RevertMessage ?? revert.Message);
            case RpcClientUnknownException or RpcClientTimeoutException or HttpRequestException or SocketException
                or TaskCanceledException or TimeoutException:
                return new(RpcErrorKind.Transport, "RPC_UNAVAILABLE", Short(ex.Message));
            case RpcResponseException rpc:
                return FromMessage(rpc.RpcError?.Message ?? rpc.Message);
        }
        if (ex.InnerException is not null && ex.InnerException != ex)
        {
            var inner = Classify(ex.InnerException);
            if (inner.Kind != RpcErrorKind.Unknown) return inner;
        }
        return FromMessage(ex.Message);
    }

    public static RpcFailure FromMessage(string message)
    {
        var m = message.ToLowerInvariant();
        RpcErrorKind kind =
            m.Contains("nonce too low") || m.Contains("nonce has already been used") || m.Contains("oldnonce") ? RpcErrorKind.NonceTooLow
            : m.Contains("already known") || m.Contains("known transaction") || m.Contains("already imported")
              || m.Contains("already in the mempool") || m.Contains("alreadyknown") ? RpcErrorKind.AlreadyKnown
            : m.Contains("replacement transaction underpriced") || m.Contains("replacement fee too low")
              || (m.Contains("replacement") && m.Contains("underpriced")) ? RpcErrorKind.ReplacementUnderpriced
            : m.Contains("insufficient funds") || m.Contains("sender doesn't have enough funds")
              || m.Contains("not enough funds") ? RpcErrorKind.InsufficientFunds
            : m.Contains("execution reverted") || m.Contains("reverted with") || m.Contains("revert") ? RpcErrorKind.Reverted
            : m.Contains("max fee per gas less than block base fee") || m.Contains("fee cap less than block base fee")
              || m.Contains("transaction underpriced") ? RpcErrorKind.FeeTooLow
            : RpcErrorKind.Unknown;
        var code = kind switch
        {
            RpcErrorKind.NonceTooLow => "NONCE_TOO_LOW",
            RpcErrorKind.AlreadyKnown => "ALREADY_KNOWN",
            RpcErrorKind.ReplacementUnderpriced => "REPLACEMENT_UNDERPRICED",
            RpcErrorKind.InsufficientFunds => "INSUFFICIENT_FUNDS",
            RpcErrorKind.Reverted => "REVERTED",
            RpcErrorKind.FeeTooLow => "FEE_TOO_LOW",
            _ => "RPC_ERROR",
        };
        return new(kind, code, Short(message));
    }

    private static string Short(string s) => s.Length <= 500 ? s : s[..500];
}
