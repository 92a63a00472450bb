using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Transactions;

/// <summary>A transaction the business layer wants on chain.</summary>
public sealed record ChainTxRequest(string From, string? To, string Data, string Purpose, string? Reference = null, long? GasLimit = null)
{
    public BigInteger Value { get; init; }
}

/// <summary>
/// Entry point of the pipeline. <see cref="Add"/> only stages the row in the caller's DbContext, so
/// the business row and the transaction it needs commit in one database transaction (outbox): a
/// crash between them loses nothing. The recurring submit job picks Queued rows up.
/// </summary>
public sealed class ChainTxQueue(LoyaltyDbContext db, IOptions<ChainOptions> options, TimeProvider time)
{
    public ChainTx Add(ChainTxRequest request)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var tx = new ChainTx
        {
            ChainId = options.Value.ChainId,
            From = Address.Normalize(request.From),
            To = request.To is null ? null : Address.Normalize(request.To),
            Data = request.Data,
            Value = request.Value,
            Purpose = request.Purpose,
            Reference = request.Reference,
            GasLimit = request.GasLimit,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Set<ChainTx>().Add(tx);
        return tx;
    }

    /// <summary>Stages and commits a transaction on its own (when there is no business row to commit with).</summary>
    public async Task<ChainTx> EnqueueAsync(ChainTxRequest request, CancellationToken ct)
    {
        var tx = Add(request);
        await db.SaveChangesAsync(ct);
        return tx;
    }

    /// <summary>
    /// Withdraws a transaction. Without a nonce it is cancelled at once; with one, the nonce must still
    /// be consumed, so the confirm job replaces it with a zero-value self-transfer unless it lands first.
    /// Returns false when it is already past the point of cancelling (mined or terminal).
    /// </summary>
    public async Task<bool> CancelAsync(long id, CancellationToken ct)
    {
        var tx = await db.Set<ChainTx>().SingleAsync(t => t.Id == id, ct);
        if (tx.IsTerminal || tx.Status == ChainTxStatus.Mined) return false;
        tx.CancelRequested = true;
        if (tx.Nonce is null) tx.MarkCancelled();
        tx.UpdatedAt = time.GetUtcNow().UtcDateTime;
        tx.NotBefore = null;
        tx.Version++;
        await db.SaveChangesAsync(ct);
        return true;
    }
}

public static class Address
{
    /// <summary>Addresses are stored lower-case so comparisons and unique indexes are exact.</summary>
    public static string Normalize(string address) => address.Trim().ToLowerInvariant();
}
