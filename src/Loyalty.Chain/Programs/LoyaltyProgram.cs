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
    /// <summary>The address that pays gas and holds the minter role for this program.</summary>
    public string OperatorAddress { get; set; } = "";
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
    }
}
