using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Leases;

/// <summary>
/// Leases in the service's own database, so that one instance at a time runs each recurring pass on
/// SQLite and PostgreSQL alike. A claim is one conditional UPDATE (free, expired, or already ours), so two
/// instances racing for it have one winner; a missing row is inserted first, and losing that insert is
/// harmless. <see cref="InstanceId"/> is new per process: a restarted instance does not inherit the
/// dead one's lease, it waits at most one <see cref="LeaseOptions.Duration"/> for it to lapse.
/// </summary>
public sealed class LeaseService(IServiceScopeFactory scopes, TimeProvider time, IOptions<LeaseOptions> options, ILogger<LeaseService> logger)
{
    public string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Claims or renews <paramref name="name"/> for <paramref name="holder"/>; false when another holder has it.</summary>
    public async Task<bool> TryAcquireAsync(string name, string holder, CancellationToken ct)
    {
        if (await ClaimAsync(name, holder, ct)) return true;
        if (await ExistsAsync(name, ct)) return false;
        await InsertIfMissingAsync(name, ct);
        return await ClaimAsync(name, holder, ct);
    }

    /// <summary>Gives the lease up (only if <paramref name="holder"/> still has it) so the next pass need not wait for expiry.</summary>
    public async Task ReleaseAsync(string name, string holder, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var released = time.GetUtcNow().UtcDateTime.AddSeconds(-1);
        await db.InWriteTransactionAsync(c => db.Set<Lease>().Where(l => l.Name == name && l.Holder == holder)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.Holder, (string?)null).SetProperty(l => l.ExpiresAt, released), c), ct);
    }

    /// <summary>
    /// Runs <paramref name="work"/> while holding the lease <paramref name="name"/>, renewing it meanwhile; returns
    /// false without running it when another instance holds it. If a renewal finds the lease lost, the work's token
    /// is cancelled: two instances must not keep running one pass.
    /// </summary>
    public async Task<bool> RunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        // One holder per run, not per process: two workers of one instance must not share a pass either.
        var holder = $"{InstanceId}/{Guid.NewGuid():N}";
        if (!await TryAcquireAsync(name, holder, ct)) return false;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopRenewing = new CancellationTokenSource();
        var renewal = RenewWhileRunningAsync(name, holder, cts, stopRenewing.Token);
        try
        {
            await work(cts.Token);
            return true;
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewal;
            try { await ReleaseAsync(name, holder, CancellationToken.None); }
            catch (Exception ex) { logger.LogWarning(ex, "Lease {Name} not released; it lapses on its own", name); }
        }
    }

    private async Task RenewWhileRunningAsync(string name, string holder, CancellationTokenSource work, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.RenewEvery, time, stop);
                bool renewed;
                try { renewed = await ClaimAsync(name, holder, stop); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed renewal is not yet a lost lease: the next one may still land before expiry.
                    logger.LogWarning(ex, "Lease {Name} not renewed", name);
                    continue;
                }
                if (renewed) continue;
                logger.LogError("Lease {Name} was lost while its pass ran; stopping the pass", name);
                await work.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task<bool> ClaimAsync(string name, string holder, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var until = now + options.Value.Duration;
        var claimed = await db.InWriteTransactionAsync(c => db.Set<Lease>()
            .Where(l => l.Name == name && (l.ExpiresAt < now || l.Holder == holder))
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.Holder, holder).SetProperty(l => l.ExpiresAt, until), c), ct);
        return claimed == 1;
    }

    private async Task<bool> ExistsAsync(string name, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<Lease>().AnyAsync(l => l.Name == name, ct);
    }

    private async Task InsertIfMissingAsync(string name, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        try
        {
            await db.InWriteTransactionAsync(async c =>
            {
                db.Set<Lease>().Add(new Lease { Name = name, Holder = null, ExpiresAt = DateTime.UnixEpoch });
                await db.SaveChangesAsync(c);
            }, ct);
        }
        catch (DbUpdateException)
        {
            // Another instance inserted it between our check and our insert: the claim that follows decides.
        }
    }
}
