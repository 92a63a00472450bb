using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Ledger;

/// <summary>Ledger accounts. Every posting moves points between accounts and sums to zero.</summary>
public enum LedgerAccount
{
    /// <summary>The program's source of points: its balance is minus everything ever issued.</summary>
    Issuance,
    Pending,
    Available,
    Reserved,
}

/// <summary>
/// Earn/Mature/Clawback: intake and the return window. Reserve/Release/Redeem: redemptions. Adjustment: a refund minted
/// back. Grant/Deduct: an admin's adjustment. Expire: points past their expiry (cancelled before minting or burned).
/// </summary>
public enum EntryKind { Earn, Mature, Clawback, Reserve, Release, Redeem, Adjustment, Grant, Deduct, Expire, Referral, Challenge }

/// <summary>
/// One leg of a double-entry posting. Entries are immutable: a correction is a new posting. A member's
/// pending, available and reserved balances are the sums of that member's entries per account.
/// </summary>
public sealed class LedgerEntry
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    /// <summary>Groups the legs of one posting.</summary>
    public Guid PostingId { get; set; }
    public LedgerAccount Account { get; set; }
    /// <summary>Null for program accounts (Issuance).</summary>
    public long? MemberId { get; set; }
    /// <summary>Signed amount in the token's smallest unit: credits positive, debits negative.</summary>
    public long Amount { get; set; }
    public EntryKind Kind { get; set; }
    public long? EventId { get; set; }
    public long? AccrualId { get; set; }
    public long? MintIntentId { get; set; }
    public string? Note { get; set; }
    public DateTime CreatedAt { get; set; }
}

public enum AccrualStatus { Pending, Matured, Reversed }

/// <summary>Points earned by one event for one member, pending until the program's return window closes.</summary>
public sealed class Accrual
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public long EventId { get; set; }
    public long Points { get; set; }
    public long ClawedBack { get; set; }
    public DateTime MaturesAt { get; set; }
    public AccrualStatus Status { get; set; }
    public long? MintIntentId { get; set; }

    public long Remaining => Points - ClawedBack;
}

internal sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>, IEntityTypeConfiguration<Accrual>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> b)
    {
        b.ToTable("LedgerEntries");
        b.Property(x => x.Account).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.Id });
        b.HasIndex(x => x.PostingId);
    }

    public void Configure(EntityTypeBuilder<Accrual> b)
    {
        b.ToTable("Accruals");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.Status, x.MaturesAt });
        b.HasIndex(x => x.EventId);
    }
}
