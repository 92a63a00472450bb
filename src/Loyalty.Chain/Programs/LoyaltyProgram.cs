using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Programs;

public enum ProgramStatus
{
    /// <summary>Contracts are being deployed through the pipeline.</summary>
    Deploying,
    /// <summary>Contracts are deployed; the operator's roles are being granted.</summary>
    Configuring,
    /// <summary>Earning, settlement and indexing run.</summary>
    Active,
    /// <summary>A deployment or role grant failed terminally; see <see cref="LoyaltyProgram.StatusDetail"/>.</summary>
    Failed,
    /// <summary>Paused by an admin: no earning, no redemption, no settlement; the contracts are paused through the pipeline.</summary>
    Paused,
    /// <summary>Unpause transactions are on their way; Active once they are final (still refusing like Paused).</summary>
    Resuming,
}

public enum ExpiryPolicy { None, Fixed, Inactivity }

public enum ReturnPolicy { Keep, Clawback }

/// <summary>A brand's loyalty program. Programs are fully isolated from each other: every row carries its ProgramId.</summary>
public sealed class LoyaltyProgram
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string PointName { get; set; } = "";
    public string PointSymbol { get; set; } = "";
    /// <summary>Token decimals, 0..6 so that int64 in the ledger holds over 9 trillion whole points.</summary>
    public int Decimals { get; set; }
    /// <summary>ISO 4217 code purchases are expressed in.</summary>
    public string Currency { get; set; } = "EUR";
    /// <summary>Points stay pending this long (the return window) before they become available and are minted.</summary>
    public long PendingPeriodSeconds { get; set; }
    /// <summary>IANA or Windows id; day/month limits and hour conditions are evaluated in it.</summary>
    public string TimeZone { get; set; } = "UTC";

    public ProgramStatus Status { get; set; }
    public string? StatusDetail { get; set; }
    public string? PointsContract { get; set; }
    public string? CollectibleContract { get; set; }
    /// <summary>First block worth indexing (the deployment block).</summary>
    public long StartBlock { get; set; }
    public long? PointsDeployTxId { get; set; }
    public long? CollectibleDeployTxId { get; set; }
    /// <summary>
    /// The shared gas payer: it deploys the contracts and funds the program's own keys. A program created before the
    /// key split (its key columns below are null) still uses it for everything, which keeps it working unchanged.
    /// </summary>
    public string OperatorAddress { get; set; } = "";
    /// <summary>The program's relayer: sends mints, burns, transfers, claims and drops; holds MINTER_ROLE (and DROP_ADMIN_ROLE).</summary>
    public string? MinterAddress { get; set; }
    /// <summary>Signs claim vouchers (CLAIM_SIGNER_ROLE); never sends a transaction.</summary>
    public string? ClaimSignerAddress { get; set; }
    /// <summary>The service's admin key: DEFAULT_ADMIN_ROLE and PAUSER_ROLE until the hand-over to the brand.</summary>
    public string? AdminAddress { get; set; }
    /// <summary>The brand's address the admin roles are handed over to (<see cref="Ownership.OwnershipHandover"/>).</summary>
    public string? BrandAdmin { get; set; }
    public Ownership.HandoverStatus HandoverStatus { get; set; }
    public string? HandoverDetail { get; set; }
    /// <summary>Counts hand-over requests; the transactions of the current one carry "{programId}:{attempt}" as reference.</summary>
    public int HandoverAttempt { get; set; }
    /// <summary>A minter rotation: the new key until it holds its roles, then the old key until its queue has drained.</summary>
    public string? PendingMinterAddress { get; set; }
    public string? RetiringMinterAddress { get; set; }
    public Ownership.RotationStatus RotationStatus { get; set; }
    public string? RotationDetail { get; set; }
    public int RotationAttempt { get; set; }
    /// <summary>When the rotation last changed state (the switch to the new key starts the drain's grace period).</summary>
    public DateTime? RotationChangedAt { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>How points expire (<see cref="Expiry.ExpiryRules"/>): never, a fixed time after they became available, or after inactivity.</summary>
    public ExpiryPolicy ExpiryPolicy { get; set; }
    /// <summary>The expiry period in months (fixed or inactivity), or null when it is given in days.</summary>
    public int? ExpiryMonths { get; set; }
    public int? ExpiryDays { get; set; }
    /// <summary>Fixed expiry: moved to the end of the month it falls in (in the program's time zone).</summary>
    public bool ExpiryRoundToMonthEnd { get; set; }
    /// <summary>A return after the return window: keep the points (notRecoverable) or claw them back from available points.</summary>
    public ReturnPolicy ReturnPolicy { get; set; }

    /// <summary>Who sends this program's transactions and who holds each role (the operator for a program from before the split).</summary>
    public string Relayer => MinterAddress ?? OperatorAddress;
    public string ClaimSigner => ClaimSignerAddress ?? OperatorAddress;
    public string ServiceAdmin => AdminAddress ?? OperatorAddress;
    public bool HandedOver => HandoverStatus == Ownership.HandoverStatus.Completed;

    public TimeSpan PendingPeriod => TimeSpan.FromSeconds(PendingPeriodSeconds);

    public TimeZoneInfo Zone => TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
}

internal sealed class LoyaltyProgramConfiguration : IEntityTypeConfiguration<LoyaltyProgram>
{
    public void Configure(EntityTypeBuilder<LoyaltyProgram> b)
    {
        b.ToTable("Programs");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ExpiryPolicy).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ReturnPolicy).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Currency).HasMaxLength(3);
        b.Property(x => x.PointsContract).HasMaxLength(42);
        b.Property(x => x.CollectibleContract).HasMaxLength(42);
        foreach (var name in new[] { nameof(LoyaltyProgram.MinterAddress), nameof(LoyaltyProgram.ClaimSignerAddress), nameof(LoyaltyProgram.AdminAddress),
                     nameof(LoyaltyProgram.BrandAdmin), nameof(LoyaltyProgram.PendingMinterAddress), nameof(LoyaltyProgram.RetiringMinterAddress) })
            b.Property<string?>(name).HasMaxLength(42);
        b.Property(x => x.HandoverStatus).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.RotationStatus).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.HandoverDetail).HasMaxLength(500);
        b.Property(x => x.RotationDetail).HasMaxLength(500);
    }
}
