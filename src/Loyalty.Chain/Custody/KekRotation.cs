using System.Linq.Expressions;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Custody;

public sealed record KekRowCount(string Table, string KeyId, int Rows);

/// <summary>Where a rotation stands: rows per table and key id; <see cref="Remaining"/> rows are still under the previous key.</summary>
public sealed record KekRotationStatus(string KeyId, string? PreviousKeyId, IReadOnlyList<KekRowCount> Rows, int Remaining, int Unreadable)
{
    /// <summary>Every row is under the current key: the previous key may be removed from configuration.</summary>
    public bool Complete => Remaining == 0 && Unreadable == 0;
}

public sealed record KekRewrapResult(int Rewrapped, int Batches, KekRotationStatus Status);

/// <summary>
/// Re-wraps every encrypted row (program seeds, service keys, webhook signing secrets) from the previous KEK to the
/// current one, in batches that each commit on their own. Rows already under the current key are never touched, so a
/// run stopped anywhere (a batch limit, a cancelled request, a crash) is resumed by running it again.
/// </summary>
/// <remarks>Only the 32-byte data keys are unwrapped and wrapped again; ciphertexts are not re-encrypted and no secret is
/// ever in plaintext here. Member keys are not rows: they derive from the program seed, so they follow it.</remarks>
public sealed class KekRotation(LoyaltyDbContext db, IKeyEncryptionKey kek, ILogger<KekRotation> logger)
{
    public const int MaxBatchSize = 1000;
    public const string NoRotationCode = "CUSTODY_NO_KEK_ROTATION";

    private readonly EnvelopeEncryption envelope = new(kek);

    public async Task<KekRotationStatus> StatusAsync(CancellationToken ct = default)
    {
        var rows = new List<KekRowCount>();
        async Task Count<T>(string table, Expression<Func<T, string>> keyId) where T : class =>
            rows.AddRange((await db.Set<T>().AsNoTracking().GroupBy(keyId).Select(g => new { g.Key, Rows = g.Count() }).ToListAsync(ct))
                .Select(g => new KekRowCount(table, g.Key, g.Rows)));
        await Count<CustodySeed>("CustodySeeds", s => s.Secret.KeyId);
        await Count<ServiceKey>("ServiceKeys", k => k.Secret.KeyId);
        await Count<WebhookSecret>("WebhookSecrets", w => w.Secret.KeyId);
        var previous = kek.Previous?.KeyId;
        return new KekRotationStatus(kek.KeyId, previous, rows,
            rows.Where(r => r.KeyId == previous).Sum(r => r.Rows),
            rows.Where(r => r.KeyId != kek.KeyId && r.KeyId != previous).Sum(r => r.Rows));
    }

    /// <summary>
    /// Re-wraps up to <paramref name="maxBatches"/> batches (all, when null) of <paramref name="batchSize"/> rows. Cancelling
    /// between batches keeps every committed batch; the batch in flight rolls back.
    /// </summary>
    public async Task<KekRewrapResult> RewrapAsync(int batchSize, int? maxBatches, CancellationToken ct = default)
    {
        if (batchSize is < 1 or > MaxBatchSize)
            throw new LoyaltyException("INVALID_BATCH_SIZE", $"batchSize is 1-{MaxBatchSize}");
        if (maxBatches is < 1) throw new LoyaltyException("INVALID_BATCH_SIZE", "maxBatches is at least 1");
        if (kek.Previous is not { } previous)
            throw new LoyaltyException(NoRotationCode,
                "no KEK rotation is configured: set Custody:NewKeyEncryptionKey or Custody:NewKeyFile on every instance and restart", 409);
        var old = previous.KeyId;
        var (rewrapped, batches) = (0, 0);
        var tables = new Func<CancellationToken, Task<int>>[]
        {
            c => BatchAsync(db.Set<CustodySeed>().Where(s => s.Secret.KeyId == old).OrderBy(s => s.ProgramId),
                s => s.Secret, (s, v) => s.Secret = v, s => CustodySeed.Purpose(s.ProgramId), batchSize, c),
            c => BatchAsync(db.Set<ServiceKey>().Where(k => k.Secret.KeyId == old).OrderBy(k => k.Id),
                k => k.Secret, (k, v) => k.Secret = v, k => ServiceKey.SecretPurpose(k.Scope), batchSize, c),
            c => BatchAsync(db.Set<WebhookSecret>().Where(w => w.Secret.KeyId == old).OrderBy(w => w.Id),
                w => w.Secret, (w, v) => w.Secret = v, w => $"webhook-secret:{w.Id}", batchSize, c),
        };
        foreach (var table in tables)
        {
            while (maxBatches is null || batches < maxBatches)
            {
                ct.ThrowIfCancellationRequested();
                var n = await table(ct);
                if (n == 0) break;
                rewrapped += n;
                batches++;
                logger.LogInformation("KEK rotation: batch {Batch} rewrapped {Rows} rows from key {OldKeyId} to key {KeyId}",
                    batches, n, old, kek.KeyId);
            }
        }
        return new KekRewrapResult(rewrapped, batches, await StatusAsync(ct));
    }

    private Task<int> BatchAsync<T>(IQueryable<T> pending, Func<T, EncryptedSecret> get, Action<T, EncryptedSecret> set,
        Func<T, string> purpose, int size, CancellationToken ct) where T : class =>
        db.InWriteTransactionAsync(async c =>
        {
            // A retried attempt must not see entities of the attempt that rolled back.
            db.ChangeTracker.Clear();
            var rows = await pending.Take(size).ToListAsync(c);
            foreach (var row in rows)
                set(row, await envelope.RewrapAsync(get(row), purpose(row), c));
            await db.SaveChangesAsync(c);
            db.ChangeTracker.Clear();
            return rows.Count;
        }, ct);
}
