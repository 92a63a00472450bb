using Microsoft.Extensions.Options;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;

namespace Loyalty.Chain.Chain;

/// <summary>
/// Read/broadcast access to the configured node. It never holds a key: transactions are signed by
/// the pipeline and sent raw, so the node never sees an unlocked account.
/// </summary>
public sealed class Web3Factory(IOptions<ChainOptions> options)
{
    private readonly Lazy<Web3> _web3 = new(() =>
    {
        var client = new RpcClient(new Uri(options.Value.RpcUrl));
        return new Web3(client);
    });

    public IWeb3 Get() => _web3.Value;
    public ChainOptions Options => options.Value;
}
