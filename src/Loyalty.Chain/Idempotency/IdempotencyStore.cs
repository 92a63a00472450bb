using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Idempotency;

/// <summary>One request that carries an Idempotency-Key: where the key lives and what the request was.</summary>
public sealed record IdempotencyRequest(long ProgramId, string Scope, string Key, string Hash);

/// <summary>How a claim ended: this request runs (<see cref="Record"/> is its claim), or another one has the key.</summary>
public sealed record IdempotencyClaim(bool Won, IdempotencyRecord Record);

/// <summary>
/// The one idempotency mechanism (Stripe's semantics). A key belongs to a program and an endpoint scope; the
/// request is identified by a hash of its method, path and raw body. The same request again gets the first
/// answer; another request under the key is a 422. Endpoints that write in one transaction stage their
/// record in it (<see cref="Stage"/>), so the answer and the change commit together; the others claim the
/// key first (<see cref="ClaimAsync"/>) and complete it with their answer. The unique index on
/// (program, scope, key) decides races: the loser replays, or is told the winner is still running.
/// </summary>
public sealed partial class IdempotencyStore(LoyaltyDbContext db, TimeProvider time)
{
    public const int MaxKeyLength = 200;

    /// <summary>
    /// A claim still open after this long belongs to a request that died (crash, kill) or failed after it may have
    /// committed: its outcome is unknown, so the key is never taken over (that could run the change twice). The
    /// caller is told so and checks the resource before retrying under a new key.
    /// </summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    [GeneratedRegex(@"\A[\x21-\x7E]{1,200}\z")]
    private static partial Regex KeyPattern();

    /// <summary>Null when no key was sent; INVALID_IDEMPOTENCY_KEY for an empty, over-long or non-printable one.</summary>
    public static string? ValidateKey(string? key)
    {
        if (key is null) return null;
        if (!KeyPattern().IsMatch(key))
            throw new LoyaltyException("INVALID_IDEMPOTENCY_KEY", $"Idempotency-Key must be 1-{MaxKeyLength} printable ASCII characters without spaces");
        return key;
    }

    /// <summary>The path is part of the request: one key on /redemptions/5/cancel and /redemptions/6/cancel is two requests.</summary>
    public static string Hash(string method, string path, ReadOnlySpan<byte> body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{method.ToUpperInvariant()} {path}\n"));
        sha.AppendData(body);
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    public Task<IdempotencyRecord?> FindAsync(IdempotencyRequest request, CancellationToken ct) =>
        db.Set<IdempotencyRecord>().AsNoTracking()
            .SingleOrDefaultAsync(r => r.ProgramId == request.ProgramId && r.Scope == request.Scope && r.Key == request.Key, ct);

    /// <summary>IDEMPOTENCY_KEY_REUSED (422) when the record is of another request.</summary>
    public static void EnsureSameRequest(IdempotencyRecord record, string hash)
    {
        if (record.RequestHash != hash)
            throw new LoyaltyException("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request", 422);
    }

    /// <summary>A finished record for the caller's own transaction to save: the key and the change commit together.</summary>
    public IdempotencyRecord Stage(IdempotencyRequest request, int status, string body)
    {
        var record = NewRecord(request, status, body, time.GetUtcNow().UtcDateTime);
        db.Set<IdempotencyRecord>().Add(record);
        return record;
    }

    public static IdempotencyRecord NewRecord(IdempotencyRequest request, int status, string body, DateTime now) => new()
    {
        ProgramId = request.ProgramId, Scope = request.Scope, Key = request.Key, RequestHash = request.Hash, StatusCode = status,
        ResponseBody = body, CreatedAt = now,
    };

    /// <summary>Claims the key for this request, or returns the record that holds it.</summary>
    public async Task<IdempotencyClaim> ClaimAsync(IdempotencyRequest request, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (await FindAsync(request, ct) is { } existing) return new IdempotencyClaim(false, existing);
        var claim = NewRecord(request, IdempotencyRecord.InProgress, "", now);
        try
        {
            await db.InWriteTransactionAsync(async c =>
            {
                db.Set<IdempotencyRecord>().Add(claim);
                await db.SaveChangesAsync(c);
            }, ct);
            return new IdempotencyClaim(true, claim);
        }
        catch (DbUpdateException)
        {
            // The unique index: a concurrent request claimed the key first.
            db.ChangeTracker.Clear();
            var winner = await FindAsync(request, ct) ?? throw new InvalidOperationException("idempotency claim failed without a holder");
            return new IdempotencyClaim(false, winner);
        }
    }

    public Task CompleteAsync(IdempotencyRecord claim, int status, string body, CancellationToken ct) =>
        db.InWriteTransactionAsync(c => db.Set<IdempotencyRecord>()
            .Where(r => r.Id == claim.Id && r.StatusCode == IdempotencyRecord.InProgress)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.StatusCode, status).SetProperty(r => r.ResponseBody, body), c), ct);

    /// <summary>A refused request (a 4xx) changed nothing: its key is free again, for a corrected request.</summary>
    public Task ReleaseAsync(IdempotencyRecord claim, CancellationToken ct) =>
        db.InWriteTransactionAsync(c => db.Set<IdempotencyRecord>()
            .Where(r => r.Id == claim.Id && r.StatusCode == IdempotencyRecord.InProgress).ExecuteDeleteAsync(c), ct);
}
