using System.Globalization;
using System.Numerics;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Transactions;

/// <summary>Thresholds of the operator-facing chain alerts (section "Monitoring").</summary>
public sealed class MonitoringOptions
{
    public const string Section = "Monitoring";
    /// <summary>How long the node may be unreachable before <see cref="NodeMonitor.RpcUnavailableAlert"/> is raised.</summary>
    public TimeSpan RpcUnavailableAfter { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How often sender balances are read (one eth_getBalance per sender).</summary>
    public TimeSpan BalanceCheckEvery { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// Below this a sender gets <see cref="NodeMonitor.OperatorBalanceLowAlert"/>: well above
    /// Chain:MinOperatorBalanceWei, so an operator hears of it before out-of-funds pauses the sender.
    /// </summary>
    public string OperatorBalanceWarningWei { get; set; } = "100000000000000000";
}

/// <summary>
/// Watches what the pipeline depends on, once per confirm pass: that the node answers (an outage longer
/// than the threshold is an alert, resolved when it answers again) and that every sender can keep paying
/// gas: the operator and other shared senders against Monitoring:OperatorBalanceWarningWei, each running program's
/// sending keys against Health:MinProgramKeyBalanceWei (<see cref="Programs.ProgramKeyBalances"/>; a retired key is
/// not watched). State is per process; the confirm lease means one instance at a time does this.
/// </summary>
public sealed class NodeMonitor(IServiceScopeFactory scopes, Web3Factory web3Factory, AlertSink alerts, TimeProvider time,
    IOptions<MonitoringOptions> options, Programs.ProgramKeyBalances programKeys, ILogger<NodeMonitor> logger)
{
    public const string RpcUnavailableAlert = "RPC_UNAVAILABLE";
    public const string OperatorBalanceLowAlert = "OPERATOR_BALANCE_LOW";

    private readonly Lock _lock = new();
    private DateTime? _unreachableSince;
    // An alert raised by a previous process may still be open: the first answer after start checks for it.
    private bool _mayBeOpen = true;
    private DateTime _nextBalanceCheck = DateTime.MinValue;

    private string Subject => $"chain:{web3Factory.Options.ChainId}";

    /// <summary>True when the node answered; the rest of the pass may then use it.</summary>
    public async Task<bool> CheckAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await web3Factory.Get().Eth.Blocks.GetBlockNumber.SendRequestAsync();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && RpcErrors.Classify(ex).Kind == RpcErrorKind.Transport)
        {
            await NodeUnreachableAsync(now, ct);
            return false;
        }
        await NodeAnsweredAsync(ct);
        if (now >= _nextBalanceCheck)
        {
            _nextBalanceCheck = now + options.Value.BalanceCheckEvery;
            try { await CheckBalancesAsync(ct); }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Sender balances not checked this time");
            }
            // Apart: the program keys' read (one batched eth_getBalance, a configured minimum) failing must not stop the
            // operator's alert, nor the other way round.
            try { await CheckProgramKeysAsync(ct); }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Program key balances not checked this time");
            }
        }
        return true;
    }

    private async Task NodeUnreachableAsync(DateTime now, CancellationToken ct)
    {
        DateTime since;
        lock (_lock) since = _unreachableSince ??= now;
        var down = now - since;
        logger.LogWarning("Node unreachable for {Seconds:F0} s", down.TotalSeconds);
        if (down < options.Value.RpcUnavailableAfter) return;
        _mayBeOpen = true;
        await alerts.RaiseAsync(RpcUnavailableAlert, Subject,
            $"The node of chain {web3Factory.Options.ChainId} has not answered since {since:O} ({down.TotalSeconds:F0} s): " +
            "nothing is sent or confirmed until it does; work keeps being accepted and queued.", ct);
    }

    private async Task NodeAnsweredAsync(CancellationToken ct)
    {
        lock (_lock) _unreachableSince = null;
        if (!_mayBeOpen) return;
        await alerts.ResolveAsync(RpcUnavailableAlert, Subject, ct);
        _mayBeOpen = false;
    }

    private async Task CheckBalancesAsync(CancellationToken ct)
    {
        var chain = web3Factory.Options;
        var warning = BigInteger.Parse(options.Value.OperatorBalanceWarningWei, CultureInfo.InvariantCulture);
        List<string> senders;
        HashSet<string> programOwned;
        List<string> open;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            senders = await db.Set<SenderState>().AsNoTracking().Where(s => s.ChainId == chain.ChainId).Select(s => s.Address).ToListAsync(ct);
            // A program's own keys are judged below, by what they do now (a retired relayer is not watched at all).
            programOwned = (await db.Set<Custody.ServiceKey>().AsNoTracking().Where(k => k.ProgramId != null).Select(k => k.Address).ToListAsync(ct)).ToHashSet();
            open = await db.Set<Alert>().AsNoTracking().Where(a => a.Code == OperatorBalanceLowAlert && a.ResolvedAt == null)
                .Select(a => a.Subject).ToListAsync(ct);
        }
        foreach (var address in senders.Where(a => programOwned.Contains(a)))
            if (open.Contains($"{chain.ChainId}:{address}")) await alerts.ResolveAsync(OperatorBalanceLowAlert, $"{chain.ChainId}:{address}", ct);
        foreach (var address in senders.Where(a => !programOwned.Contains(a)))
        {
            var balance = (await web3Factory.Get().Eth.GetBalance.SendRequestAsync(address)).Value;
            var subject = $"{chain.ChainId}:{address}";
            if (balance < warning)
                await alerts.RaiseAsync(OperatorBalanceLowAlert, subject,
                    $"Sender {address} on chain {chain.ChainId} holds {balance} wei, below the warning level {warning}: fund it before it runs out " +
                    "and its transactions pause.", ct);
            else if (open.Contains(subject))
                await alerts.ResolveAsync(OperatorBalanceLowAlert, subject, ct);
        }
    }

    /// <summary>
    /// <see cref="Programs.ProgramKeyBalances.LowAlert"/> per program key under the minimum; resolved once it holds enough
    /// again, or is no longer a sending key (rotated away, handed over, program no longer running).
    /// </summary>
    private async Task CheckProgramKeysAsync(CancellationToken ct)
    {
        IReadOnlyList<Programs.ProgramKeyBalance> keys;
        List<string> open;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            keys = await programKeys.ReadAsync(db, ct);
            open = await db.Set<Alert>().AsNoTracking().Where(a => a.Code == Programs.ProgramKeyBalances.LowAlert && a.ResolvedAt == null)
                .Select(a => a.Subject).ToListAsync(ct);
        }
        var minimum = programKeys.Minimum;
        var low = new HashSet<string>();
        foreach (var (key, balance) in keys.Where(k => k.Balance < minimum))
        {
            var subject = Programs.ProgramKeyBalances.AlertSubject(key);
            low.Add(subject);
            await alerts.RaiseAsync(Programs.ProgramKeyBalances.LowAlert, subject,
                $"Program {key.ProgramId}: its {key.Role} key {key.Address} holds {balance} wei, below the minimum {minimum}: fund it " +
                "(the operator tops it up when it runs out; until then its transactions pause).", ct);
        }
        foreach (var subject in open.Where(s => !low.Contains(s)))
            await alerts.ResolveAsync(Programs.ProgramKeyBalances.LowAlert, subject, ct);
    }
}
