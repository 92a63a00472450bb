using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;

namespace Loyalty.Chain.Programs;

/// <summary>
/// Moves programs forward as their deployments and role grants finish; the work is in <see cref="ProgramSetupOutcome"/>,
/// called by the one follower of finished transactions.
/// </summary>
public sealed class ProgramActivation(LoyaltyDbContext db)
{
    public const string SetupPurpose = "program.setup";

    public Task<int> AdvanceAsync(CancellationToken ct) =>
        db.FollowFinishedAsync([ProgramSetupOutcome.DeployPointsPurpose, ProgramSetupOutcome.DeployCollectiblePurpose, SetupPurpose], ct);
}
