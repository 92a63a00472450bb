using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Signer;

namespace Loyalty.Chain.Custody;

public sealed partial class CustodyService
{
    /// <summary>Returns the address of the service key for (purpose, program), generating a random one at first use.</summary>
    public async Task<string> GetOrCreateServiceKeyAsync(string purpose, long? programId, CancellationToken ct = default)
    {
        var scope = ServiceKey.ScopeFor(purpose, programId);
        if (await FindServiceKeyAddressAsync(scope, ct) is { } existing)
            return existing;
        var secret = HdWallet.PrivateKeyBytes(EthECKey.GenerateKey());
        try
        {
            return await InsertServiceKeyAsync(purpose, programId, secret, ct) ?? await FindServiceKeyAddressAsync(scope, ct)
                ?? throw new InvalidOperationException($"Service key {scope} vanished after a conflicting insert.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Stores a key supplied by the operator (typically a pre-funded gas payer from configuration). Importing
    /// the same key again is a no-op; a different key for a scope that has one is refused, never replaced,
    /// because the stored key may still hold funds or roles.
    /// </summary>
    public async Task<string> ImportServiceKeyAsync(string purpose, long? programId, string privateKeyHex, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(privateKeyHex);
        var hex = privateKeyHex.AsSpan().Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        var secret = new byte[32];
        try
        {
            if (hex.Length != 64 || Convert.FromHexString(hex, secret, out _, out _) != System.Buffers.OperationStatus.Done)
                throw new CustodyException(CustodyErrorCodes.KeyInvalid, "A service private key is 32 bytes of hex.");
            var address = new EthECKey(secret, true).GetPublicAddress().ToLowerInvariant();
            var scope = ServiceKey.ScopeFor(purpose, programId);
            var stored = await FindServiceKeyAddressAsync(scope, ct) ?? await InsertServiceKeyAsync(purpose, programId, secret, ct)
                ?? await FindServiceKeyAddressAsync(scope, ct);
            if (stored != address)
                throw new CustodyException(CustodyErrorCodes.ServiceKeyConflict,
                    $"Service key {scope} already exists with address {stored}; refusing to replace it with {address}.");
            return address;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Runs <paramref name="use"/> with the private key of the service key for (purpose, program).</summary>
    public async Task<T> WithServiceKeyAsync<T>(string purpose, long? programId, Func<EthECKey, T> use, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        var scope = ServiceKey.ScopeFor(purpose, programId);
        var row = await db.Set<ServiceKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Scope == scope, ct)
            ?? throw new CustodyException(CustodyErrorCodes.ServiceKeyNotFound, $"No service key {scope}.");
        var secret = await envelope.DecryptAsync(row.Secret, ServiceKey.SecretPurpose(scope), ct);
        try { return use(new EthECKey(secret, true)); }
        finally { CryptographicOperations.ZeroMemory(secret); }
    }

    private Task<string?> FindServiceKeyAddressAsync(string scope, CancellationToken ct) =>
        db.Set<ServiceKey>().AsNoTracking().Where(k => k.Scope == scope).Select(k => k.Address).SingleOrDefaultAsync(ct);

    /// <summary>Inserts the key; returns null when another instance inserted one for the same scope first.</summary>
    private async Task<string?> InsertServiceKeyAsync(string purpose, long? programId, byte[] secret, CancellationToken ct)
    {
        var scope = ServiceKey.ScopeFor(purpose, programId);
        var row = new ServiceKey
        {
            Purpose = purpose,
            ProgramId = programId,
            Scope = scope,
            Address = new EthECKey(secret, true).GetPublicAddress().ToLowerInvariant(),
            Secret = await envelope.EncryptAsync(secret, ServiceKey.SecretPurpose(scope), ct),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance stored a key for this scope first; the caller decides whether that is fine.
            db.Entry(row).State = EntityState.Detached;
            if (await FindServiceKeyAddressAsync(scope, ct) is null) throw;
            return null;
        }
        db.Entry(row).State = EntityState.Detached;
        logger.LogInformation("Stored service key {Scope} with address {Address} under key {KeyId}", scope, row.Address, kek.KeyId);
        return row.Address;
    }
}
