using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.RPC.Eth.DTOs;

namespace Loyalty.Chain.Indexer;

public sealed partial class TransferIndexer
{
    // Keeps IN lists well under SQLite's and PostgreSQL's parameter limits.
    private const int Chunk = 500;

    /// <summary>
    /// Applies one range and moves the checkpoint to <paramref name="to"/> in one transaction. The
    /// checkpoint is written first: its UPDATE only succeeds while it still reads from - 1, which takes
    /// the lock and makes a second instance back off. Null when another instance got there first.
    /// </summary>
    private async Task<int?> ApplyAsync(IndexedContract contract, IndexerCheckpoint checkpoint, long from, long to, string toHash,
        FilterLog[] logs, CancellationToken ct)
    {
        var transfers = logs.Select(l => TransferEvents.Decode(l, contract.Standard))
            .Where(t => t is { } d && d.BlockNumber >= from && d.BlockNumber <= to)
            .Select(t => t!.Value).OrderBy(t => t.BlockNumber).ThenBy(t => t.LogIndex).ToList();
        var claims = VoucherClaims.Decode(logs, from, to);
        if (transfers.Count + claims.Count < logs.Length)
            logger.LogWarning("{Count} Transfer logs of {Contract} in blocks {From}-{To} are not {Standard} transfers; skipped",
                logs.Length - transfers.Count - claims.Count, checkpoint.Contract, from, to, contract.Standard);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            checkpoint.LastBlock = to;
            checkpoint.LastBlockHash = toHash;
            checkpoint.UpdatedAt = Now;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                await tx.RollbackAsync(ct);
                return null;
            }

            // Already-recorded logs (a range scanned again after a manual rewind) are not counted twice.
            var known = (await db.Set<TransferLog>()
                    .Where(l => l.Contract == checkpoint.Contract && l.BlockNumber >= from && l.BlockNumber <= to)
                    .Select(l => new { l.TxHash, l.LogIndex }).ToListAsync(ct))
                .Select(k => (k.TxHash, k.LogIndex)).ToHashSet();
            var fresh = transfers.Where(t => !known.Contains((t.TxHash, t.LogIndex))).ToList();

            foreach (var t in fresh)
            {
                db.Add(new TransferLog
                {
                    ProgramId = contract.ProgramId, Contract = checkpoint.Contract, BlockNumber = t.BlockNumber, BlockHash = t.BlockHash,
                    TxHash = t.TxHash, LogIndex = t.LogIndex, From = t.From, To = t.To, Value = t.Value, TokenId = t.TokenId,
                });
                if (t.From == TransferEvents.ZeroAddress) checkpoint.Supply += t.Value;
                if (t.To == TransferEvents.ZeroAddress) checkpoint.Supply -= t.Value;
            }
            await ApplyHoldingsAsync(contract.ProgramId, checkpoint.Contract, fresh, ct);
            if (contract.Standard == TokenStandard.Erc721) await ApplyOwnersAsync(contract.ProgramId, checkpoint.Contract, fresh, ct);
            await ApplyVoucherClaimsAsync(contract.ProgramId, claims, ct);

            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            if (fresh.Count > 0)
                logger.LogDebug("Indexed {Count} transfers of {Contract} in blocks {From}-{To}", fresh.Count, checkpoint.Contract, from, to);
            return fresh.Count;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// A voucher spent on chain, by our relay or from the member's own wallet, is Claimed: a claim the service did not
    /// relay otherwise left it Issued, and a fresh voucher was signed when its deadline neared. Applying a claim twice is a no-op.
    /// </summary>
    private async Task ApplyVoucherClaimsAsync(long programId, IReadOnlyList<VoucherClaim> claims, CancellationToken ct)
    {
        foreach (var claim in claims)
        {
            var (nonce, tokenId) = (claim.Nonce.ToString(System.Globalization.CultureInfo.InvariantCulture), claim.TokenId);
            await db.Set<Collectibles.DropVoucher>()
                .Where(v => v.ProgramId == programId && v.Nonce == nonce && (v.Status != Collectibles.VoucherStatus.Claimed || v.TokenId == null))
                .ExecuteUpdateAsync(u => u.SetProperty(v => v.Status, Collectibles.VoucherStatus.Claimed)
                    .SetProperty(v => v.TokenId, (BigInteger?)tokenId), ct);
        }
    }

    private async Task ApplyHoldingsAsync(long programId, string contract, List<DecodedTransfer> transfers, CancellationToken ct)
    {
        var changes = new Dictionary<string, (BigInteger Delta, long Block)>();
        void Add(string holder, BigInteger delta, long block)
        {
            if (holder == TransferEvents.ZeroAddress) return;
            changes[holder] = (changes.GetValueOrDefault(holder).Delta + delta, block);
        }
        foreach (var t in transfers)
        {
            Add(t.From, -t.Value, t.BlockNumber);
            Add(t.To, t.Value, t.BlockNumber);
        }

        var existing = new Dictionary<string, TokenHolding>();
        foreach (var chunk in changes.Keys.Chunk(Chunk))
        {
            foreach (var h in await db.Set<TokenHolding>().Where(h => h.Contract == contract && chunk.Contains(h.Holder)).ToListAsync(ct))
                existing[h.Holder] = h;
        }
        foreach (var (holder, (delta, block)) in changes)
        {
            if (!existing.TryGetValue(holder, out var holding))
            {
                holding = new TokenHolding { Contract = contract, Holder = holder, ProgramId = programId };
                db.Add(holding);
            }
            holding.Balance += delta;
            holding.UpdatedAtBlock = block;
            if (holding.Balance.Sign < 0)
                logger.LogError("Balance of {Holder} in {Contract} is negative ({Balance}) at block {Block}: does the start block miss earlier transfers?",
                    holder, contract, holding.Balance, block);
        }
    }

    private async Task ApplyOwnersAsync(long programId, string contract, List<DecodedTransfer> transfers, CancellationToken ct)
    {
        // Last owner of each token in the range; null once burnt.
        var last = new Dictionary<BigInteger, (string? Owner, long Block)>();
        foreach (var t in transfers)
            last[t.TokenId!.Value] = (t.To == TransferEvents.ZeroAddress ? null : t.To, t.BlockNumber);

        var existing = new Dictionary<BigInteger, CollectibleOwner>();
        foreach (var chunk in last.Keys.Chunk(Chunk))
        {
            foreach (var o in await db.Set<CollectibleOwner>().Where(o => o.Contract == contract && chunk.Contains(o.TokenId)).ToListAsync(ct))
                existing[o.TokenId] = o;
        }
        foreach (var (tokenId, (owner, block)) in last)
        {
            existing.TryGetValue(tokenId, out var row);
            if (owner is null)
            {
                if (row is not null) db.Remove(row);
                continue;
            }
            if (row is null)
            {
                row = new CollectibleOwner { Contract = contract, TokenId = tokenId, ProgramId = programId };
                db.Add(row);
            }
            row.Owner = owner;
            row.UpdatedAtBlock = block;
        }
    }
}
