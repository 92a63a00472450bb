using Nethereum.Signer;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// Signs for a sending address (the operator/relayer). Implemented by custody, which decrypts the
/// key only for the duration of <paramref name="sign"/>.
/// </summary>
public interface ISenderKeys
{
    Task<T> WithKeyAsync<T>(string address, Func<EthECKey, T> sign, CancellationToken ct);
}
