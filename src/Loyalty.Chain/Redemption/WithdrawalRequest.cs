using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Redemption;

public enum WithdrawalRequestStatus
{
    /// <summary>Waiting for the cool-off after a wallet link to pass; a job stages it at <see cref="WithdrawalRequest.NotBefore"/>.</summary>
    Scheduled,
    /// <summary>Its transfers are queued as ChainTx rows (see <see cref="Withdrawal"/>).</summary>
    Staged,
    /// <summary>At its time the custodial wallet held nothing that could move.</summary>
    Empty,
    /// <summary>The member linked another wallet before it went: the new link starts its own cool-off.</summary>
    Cancelled,
}

/// <summary>A member's request to take everything home; at most one is open (scheduled or with transfers in flight) per member.</summary>
public sealed class WithdrawalRequest
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public string To { get; set; } = "";
    public WithdrawalRequestStatus Status { get; set; }
    public DateTime NotBefore { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class WithdrawalRequestConfiguration : IEntityTypeConfiguration<WithdrawalRequest>
{
    public void Configure(EntityTypeBuilder<WithdrawalRequest> b)
    {
        b.ToTable("WithdrawalRequests");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.To).HasMaxLength(42);
        b.HasIndex(x => new { x.MemberId, x.Status });
    }
}
