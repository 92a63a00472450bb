using System.Security.Cryptography;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Signer;

namespace Loyalty.Chain.Custody;

/// <summary>
/// Custodial keys: one encrypted seed per program, member wallets derived from it, and the service's own
/// keys. Plaintext keys exist only inside a <c>With…KeyAsync</c> call and their buffers are zeroed on the way
/// out. Only ids, indexes, addresses and key ids are logged.
/// </summary>
/// <remarks>
/// The <see cref="EthECKey"/> handed to a callback keeps its own copy of the scalar (a BouncyCastle big
/// integer) that cannot be wiped; callers must not keep the key beyond the callback.
/// </remarks>
public sealed partial class CustodyService(
    LoyaltyDbContext db,
    IKeyEncryptionKey kek,
    TimeProvider time,
    ILogger<CustodyService> logger,
    IOptions<CustodyOptions> options)
{
    private const int MaxAllocationAttempts = 3;
    private readonly EnvelopeEncryption envelope = new(kek);

    /// <summary>
    /// Allocates the program's next derivation index and records the wallet, creating the program seed on
    /// first use. Safe when several service instances share the database.
    /// </summary>
    /// <remarks>Saves the context; inside a caller's transaction it joins that transaction and does not retry.</remarks>
    public async Task<CustodialWallet> CreateWalletAsync(long programId, CancellationToken ct = default)
    {
        await EnsureSeedAsync(programId, ct);
        for (var attempt = 1; ; attempt++)
        {
            var owned = db.Database.CurrentTransaction is null;
            CustodialWallet? wallet = null;
            try
            {
                return await db.InWriteTransactionAsync(async ct =>
                {
                    // The increment is the transaction's first statement so it takes the write lock (the row lock on
                    // PostgreSQL, the database lock on SQLite) before anything is read: concurrent allocations queue
                    // here instead of both reading the same index.
                    await db.Set<CustodySeed>().Where(s => s.ProgramId == programId)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextIndex, x => x.NextIndex + 1), ct);
                    var seed = await LoadSeedAsync(programId, ct);
                    var index = seed.NextIndex - 1;
                    var address = await WithSeedAsync(seed, e => HdWallet.DeriveAddress(e, index), ct);
                    wallet = new CustodialWallet
                    {
                        ProgramId = programId,
                        Index = index,
                        Address = address.ToLowerInvariant(),
                        CreatedAt = time.GetUtcNow().UtcDateTime,
                    };
                    db.Add(wallet);
                    await db.SaveChangesAsync(ct);
                    logger.LogInformation("Created custodial wallet {Address} for program {ProgramId} at index {Index}",
                        wallet.Address, programId, index);
                    return wallet;
                }, ct);
            }
            catch (DbUpdateException e) when (owned && attempt < MaxAllocationAttempts)
            {
                if (wallet is not null) db.Entry(wallet).State = EntityState.Detached;
                logger.LogWarning(e, "Wallet allocation for program {ProgramId} conflicted (attempt {Attempt}); retrying",
                    programId, attempt);
            }
        }
    }

    /// <summary>Runs <paramref name="use"/> with the private key of member wallet <paramref name="index"/>.</summary>
    public async Task<T> WithMemberKeyAsync<T>(long programId, int index, Func<EthECKey, T> use, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        var wallet = await db.Set<CustodialWallet>().AsNoTracking()
            .SingleOrDefaultAsync(w => w.ProgramId == programId && w.Index == index, ct)
            ?? throw new CustodyException(CustodyErrorCodes.WalletNotFound,
                $"Program {programId} has no custodial wallet at index {index}.");
        var seed = await LoadSeedAsync(programId, ct);
        return await WithSeedAsync(seed, entropy =>
        {
            var key = HdWallet.DeriveKey(entropy, index);
            // A seed row restored from the wrong backup would otherwise sign for an address nobody funded.
            if (!string.Equals(key.GetPublicAddress(), wallet.Address, StringComparison.OrdinalIgnoreCase))
                throw new CustodyException(CustodyErrorCodes.WalletKeyMismatch,
                    $"The seed of program {programId} no longer derives wallet {wallet.Address} at index {index}.");
            return use(key);
        }, ct);
    }

    private async Task EnsureSeedAsync(long programId, CancellationToken ct)
    {
        if (await db.Set<CustodySeed>().AnyAsync(s => s.ProgramId == programId, ct))
            return;
        var entropy = HdWallet.NewEntropy();
        CustodySeed seed;
        try
        {
            seed = new CustodySeed
            {
                ProgramId = programId,
                Secret = await envelope.EncryptAsync(entropy, CustodySeed.Purpose(programId), ct),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(entropy);
        }
        db.Add(seed);
        try
        {
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Created custody seed for program {ProgramId} under key {KeyId}", programId, kek.KeyId);
        }
        catch (DbUpdateException)
        {
            // Another instance created the seed first: theirs is the program's seed, ours is discarded.
            db.Entry(seed).State = EntityState.Detached;
            if (!await db.Set<CustodySeed>().AnyAsync(s => s.ProgramId == programId, ct))
                throw;
            return;
        }
        db.Entry(seed).State = EntityState.Detached;
    }

    private async Task<CustodySeed> LoadSeedAsync(long programId, CancellationToken ct) =>
        await db.Set<CustodySeed>().AsNoTracking().SingleOrDefaultAsync(s => s.ProgramId == programId, ct)
        ?? throw new CustodyException(CustodyErrorCodes.SeedNotFound, $"Program {programId} has no custody seed yet.");

    private async Task<T> WithSeedAsync<T>(CustodySeed seed, Func<byte[], T> use, CancellationToken ct)
    {
        var entropy = await envelope.DecryptAsync(seed.Secret, CustodySeed.Purpose(seed.ProgramId), ct);
        try { return use(entropy); }
        finally { CryptographicOperations.ZeroMemory(entropy); }
    }
}
