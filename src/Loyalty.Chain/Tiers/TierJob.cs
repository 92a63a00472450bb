using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Tiers;

/// <summary>The tier step of the jobs: every program with a policy, each isolated (JOB_STEP_FAILED names it).</summary>
public sealed class TierJob(LoyaltyDbContext db, TierService tiers, AlertSink alerts, ILogger<TierJob> logger)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var programs = await db.Set<TierPolicy>().AsNoTracking().Select(p => p.ProgramId).OrderBy(p => p).ToListAsync(ct);
        var changed = 0;
        foreach (var programId in programs)
            changed += await alerts.ForProgramAsync(db, logger, "tier-downgrades", programId, () => tiers.RunDueAsync(programId, ct), ct);
        return changed;
    }
}
