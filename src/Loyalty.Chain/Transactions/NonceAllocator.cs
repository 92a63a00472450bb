using System.Data.Common;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// Durable nonce allocation per (chainId, sender). Must run inside the database transaction that
/// stores the nonce on the ChainTx: the cursor advance and its use commit or roll back together, so
/// no nonce is ever handed out twice and none is lost. The single UPDATE ... RETURNING takes the row
/// lock (PostgreSQL) or the write lock (SQLite), which serialises concurrent service instances.
/// </summary>
public static class NonceAllocator
{
    public static async Task<long> NextAsync(LoyaltyDbContext db, long chainId, string address,
        long? firstNonce, CancellationToken ct)
    {
        var tx = db.Database.CurrentTransaction ?? throw new InvalidOperationException("nonce allocation needs a transaction");
        var next = await AdvanceAsync(db, tx, chainId, address, ct);
        if (next is not null) return next.Value;

        // First use of this sender: start from what the chain said (read by the caller before the transaction).
        var start = firstNonce ?? throw new InvalidOperationException($"sender {address} has no nonce cursor and no starting nonce was read");
        await ExecuteAsync(db, tx,
            """
            INSERT INTO "SenderStates" ("ChainId", "Address", "NextNonce", "Paused", "UpdatedAt")
            VALUES (@c, @a, @n, FALSE, @t) ON CONFLICT DO NOTHING
            """, ct, ("@c", chainId), ("@a", address), ("@n", start), ("@t", DateTime.UtcNow));
        return await AdvanceAsync(db, tx, chainId, address, ct)
               ?? throw new InvalidOperationException("sender state row missing after insert");
    }

    /// <summary>Moves the cursor forward to at least <paramref name="chainNonce"/> (after a foreign transaction used ours).</summary>
    public static Task ResyncAsync(LoyaltyDbContext db, long chainId, string address, long chainNonce, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE "SenderStates" SET "NextNonce" = {chainNonce} WHERE "ChainId" = {chainId} AND "Address" = {address} AND "NextNonce" < {chainNonce}""", ct);

    private static async Task<long?> AdvanceAsync(LoyaltyDbContext db, IDbContextTransaction tx, long chainId, string address, CancellationToken ct)
    {
        await using var cmd = Command(db, tx,
            """
            UPDATE "SenderStates" SET "NextNonce" = "NextNonce" + 1
            WHERE "ChainId" = @c AND "Address" = @a
            RETURNING "NextNonce" - 1
            """, ("@c", chainId), ("@a", address));
        var result = await cmd.ExecuteScalarAsync(ct);
        return result is null or DBNull ? null : Convert.ToInt64(result);
    }

    private static async Task ExecuteAsync(LoyaltyDbContext db, IDbContextTransaction tx, string sql, CancellationToken ct,
        params (string Name, object Value)[] parameters)
    {
        await using var cmd = Command(db, tx, sql, parameters);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static DbCommand Command(LoyaltyDbContext db, IDbContextTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.Transaction = tx.GetDbTransaction();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
