using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Nethereum.Signer;

namespace Loyalty.Chain.Transactions;

/// <summary>Signs for a sender whose key is a custody service key (the operator), decrypted per call.</summary>
public sealed class CustodySenderKeys(LoyaltyDbContext db, CustodyService custody) : ISenderKeys
{
    public async Task<T> WithKeyAsync<T>(string address, Func<EthECKey, T> sign, CancellationToken ct)
    {
        var normalized = Address.Normalize(address);
        var key = await db.Set<ServiceKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Address == normalized, ct)
                  ?? throw new InvalidOperationException($"no custody key for sender {address}");
        return await custody.WithServiceKeyAsync(key.Purpose, key.ProgramId, sign, ct);
    }
}
