using Loyalty.Chain.Transactions;

namespace Loyalty.Chain.Programs;

/// <summary>
/// Moves programs forward as their deployments and role grants finish; the work is in <see cref="ProgramSetupOutcome"/>,
/// called by the one follower of finished transactions.
/// </summary>
public sealed class ProgramActivation(ChainTxFollower follower)
{
    public const string SetupPurpose = "program.setup";

    public Task<int> AdvanceAsync(CancellationToken ct) =>
        follower.FollowAsync([ProgramSetupOutcome.DeployPointsPurpose, ProgramSetupOutcome.DeployCollectiblePurpose, SetupPurpose,
            ProgramPause.PausePurpose, ProgramPause.UnpausePurpose], ct);
}
