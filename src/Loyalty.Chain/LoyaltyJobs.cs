using Hangfire;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain;

/// <summary>
/// Recurring business jobs. Each pass works on batches (never one job per accrual), is re-entrant, and
/// skips overlapping runs. Order within a pass: programs move towards Active, pending points mature,
/// finished mint batches are applied, new batches are cut.
/// </summary>
public sealed class LoyaltyJobs(IServiceScopeFactory scopes)
{
    public const string SettlementRecurringId = "loyalty-settlement";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    public async Task SettleAsync(CancellationToken ct)
    {
        await RunAsync<ProgramActivation>(s => s.AdvanceAsync(ct));
        await RunAsync<MaturationService>(s => s.RunAsync(ct));
        await RunAsync<SettlementService>(s => s.FollowBatchesAsync(ct));
        await RunAsync<SettlementService>(s => s.SettleAsync(ct));
        await RunAsync<Collectibles.DropProcessor>(s => s.RunAsync(ct));
        await RunAsync<Redemption.BurnSettlement>(s => s.RunAsync(ct));
    }

    private async Task RunAsync<T>(Func<T, Task<int>> step) where T : notnull
    {
        using var scope = scopes.CreateScope();
        await step(scope.ServiceProvider.GetRequiredService<T>());
    }
}
