using System.Globalization;
using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Web3;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// Pauses a sender the node refused for lack of funds (work keeps being accepted and queued),
/// raises an alert an operator sees, and resumes the sender once it is funded again.
/// </summary>
public sealed class SenderHealth(LoyaltyDbContext db, TimeProvider time, Microsoft.Extensions.Options.IOptions<ChainOptions> options,
    ILogger<SenderHealth> logger)
{
    public const string OutOfFundsAlert = "SENDER_OUT_OF_FUNDS";

    public async Task<bool> IsPausedAsync(long chainId, string address, CancellationToken ct) =>
        await db.Set<SenderState>().AsNoTracking()
            .AnyAsync(s => s.ChainId == chainId && s.Address == address && s.Paused, ct);

    public async Task PauseAsync(long chainId, string address, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var changed = await db.Set<SenderState>()
            .Where(s => s.ChainId == chainId && s.Address == address && !s.Paused)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Paused, true).SetProperty(s => s.PausedReason, reason)
                .SetProperty(s => s.PausedAt, now).SetProperty(s => s.UpdatedAt, now), ct);
        if (changed == 0) return;
        db.Set<Alert>().Add(new Alert
        {
            Code = OutOfFundsAlert,
            Subject = $"{chainId}:{address}",
            Message = $"Sender {address} on chain {chainId} cannot pay for gas; its transactions wait until it is funded. ({reason})",
            RaisedAt = now,
        });
        await TopUpAsync(chainId, address, now, ct);
        await db.SaveChangesAsync(ct);
        logger.LogError("Sender {Address} on chain {ChainId} paused: insufficient funds", address, chainId);
    }

    /// <summary>
    /// A program's own sending key (relayer, admin) is topped up by the operator, the one account an operator funds;
    /// the paused sender resumes once the transfer has landed (<see cref="ResumeFundedAsync"/>). One top-up in flight at a time.
    /// </summary>
    private async Task TopUpAsync(long chainId, string address, DateTime now, CancellationToken ct)
    {
        var key = await db.Set<Custody.ServiceKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Address == address, ct);
        if (key?.ProgramId is not { } programId) return;
        var payer = await db.Set<Custody.ServiceKey>().AsNoTracking().Where(k => k.Scope == Custody.ServiceKey.ScopeFor("operator", null))
            .Select(k => k.Address).SingleOrDefaultAsync(ct);
        if (payer is null || payer == address) return;
        if (await db.Set<ChainTx>().AnyAsync(t => t.Purpose == TopUpPurpose && t.To == address && t.Status != ChainTxStatus.Final
                                                 && t.Status != ChainTxStatus.Errored && t.Status != ChainTxStatus.Cancelled, ct)) return;
        db.Set<ChainTx>().Add(new ChainTx
        {
            ChainId = chainId, From = payer, To = address, Data = "0x", GasLimit = 21_000, Purpose = TopUpPurpose, Reference = programId.ToString(),
            Value = BigInteger.Parse(options.Value.ServiceKeyFundingWei, CultureInfo.InvariantCulture), CreatedAt = now, UpdatedAt = now,
        });
        logger.LogWarning("Sender {Address} (program {ProgramId}) is out of gas money: the operator {Payer} tops it up", address, programId, payer);
    }

    public const string TopUpPurpose = "sender.topup";

    /// <summary>Unpauses every paused sender whose balance now covers the configured minimum.</summary>
    public async Task ResumeFundedAsync(IWeb3 web3, ChainOptions options, CancellationToken ct)
    {
        var minimum = BigInteger.Parse(options.MinOperatorBalanceWei, CultureInfo.InvariantCulture);
        var paused = await db.Set<SenderState>().Where(s => s.ChainId == options.ChainId && s.Paused).ToListAsync(ct);
        foreach (var sender in paused)
        {
            var balance = (await web3.Eth.GetBalance.SendRequestAsync(sender.Address)).Value;
            if (balance < minimum) continue;
            var now = time.GetUtcNow().UtcDateTime;
            sender.Paused = false;
            sender.PausedReason = null;
            sender.PausedAt = null;
            sender.UpdatedAt = now;
            var subject = $"{sender.ChainId}:{sender.Address}";
            await db.Set<Alert>().Where(a => a.Code == OutOfFundsAlert && a.Subject == subject && a.ResolvedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.ResolvedAt, now), ct);
            // Work that waited for funds goes out now.
            await db.Set<ChainTx>().Where(t => t.From == sender.Address && t.Status == ChainTxStatus.Queued)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.NotBefore, (DateTime?)null), ct);
            logger.LogInformation("Sender {Address} funded again ({Balance} wei): resumed", sender.Address, balance);
        }
        await db.SaveChangesAsync(ct);
    }
}
