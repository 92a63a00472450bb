using Nethereum.Signer;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// Sender keys held in process memory, for a relayer key supplied at start-up (e.g. a local
/// development node's funded account). Custodial deployments use the encrypted key store instead.
/// </summary>
public sealed class InMemorySenderKeys : ISenderKeys
{
    private readonly Dictionary<string, EthECKey> _keys = new(StringComparer.OrdinalIgnoreCase);

    public string Add(string privateKeyHex)
    {
        var key = new EthECKey(privateKeyHex);
        var address = Address.Normalize(key.GetPublicAddress());
        lock (_keys) _keys[address] = key;
        return address;
    }

    public Task<T> WithKeyAsync<T>(string address, Func<EthECKey, T> sign, CancellationToken ct)
    {
        EthECKey? key;
        lock (_keys) _keys.TryGetValue(Address.Normalize(address), out key);
        if (key is null) throw new InvalidOperationException($"no signing key for sender {address}");
        return Task.FromResult(sign(key));
    }
}
