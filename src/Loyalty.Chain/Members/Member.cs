using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Members;

public enum WalletKind { Custodial, SelfCustody }

/// <summary>
/// A member of one program, known by the shop's customer id. Ledger data only: personal data lives in
/// <see cref="MemberProfile"/> so it can be erased without touching the books.
/// </summary>
public sealed class Member
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string ExternalId { get; set; } = "";
    /// <summary>Where the member's points are minted (lower-case).</summary>
    public string WalletAddress { get; set; } = "";
    public WalletKind WalletKind { get; set; }
    /// <summary>Derivation index of the custodial wallet (kept after a wallet is linked, for withdrawals).</summary>
    public int? CustodialIndex { get; set; }
    public string? CustodialAddress { get; set; }
    public string? Tier { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Set while the member is blocked: they earn, redeem, withdraw and link nothing.</summary>
    public DateTime? BlockedAt { get; set; }
    public string? BlockedReason { get; set; }
}

/// <summary>One consent flag: whether it stands, and when it was last given or withdrawn.</summary>
public sealed record ConsentState(bool Granted, DateTime At);

/// <summary>Who blocked or unblocked a member, when and why (append-only).</summary>
public sealed class MemberBlockAudit
{
    public const string Block = "block";
    public const string Unblock = "unblock";

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public string Action { get; set; } = "";
    public string? Reason { get; set; }
    /// <summary>"root" or "key:{id}".</summary>
    public string Actor { get; set; } = "";
    public DateTime At { get; set; }
}

/// <summary>Personal data for segmentation; erasable on request (the ledger keeps only the member id).</summary>
public sealed class MemberProfile
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public DateOnly? Birthday { get; set; }
    public Dictionary<string, string> Attributes { get; set; } = new();
    public Dictionary<string, ConsentState> Consents { get; set; } = new();
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// Cached balances of one member, updated in the same database transaction as the ledger entries by
/// atomic increments (so concurrent events for one member lose nothing). Always derivable from the entries.
/// </summary>
public sealed class MemberBalance
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public long Pending { get; set; }
    public long Available { get; set; }
    public long Reserved { get; set; }
    /// <summary>Minted (or burned) on chain and final: the part of the balance the chain already shows.</summary>
    public long OnChain { get; set; }
    public long LifetimeEarned { get; set; }
}

internal sealed class MemberConfiguration : IEntityTypeConfiguration<Member>, IEntityTypeConfiguration<MemberProfile>,
    IEntityTypeConfiguration<MemberBalance>, IEntityTypeConfiguration<MemberBlockAudit>
{
    public void Configure(EntityTypeBuilder<Member> b)
    {
        b.ToTable("Members");
        b.Property(x => x.ExternalId).HasMaxLength(128);
        b.Property(x => x.WalletAddress).HasMaxLength(42);
        b.Property(x => x.WalletKind).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.ProgramId, x.ExternalId }).IsUnique();
        b.HasIndex(x => new { x.ProgramId, x.WalletAddress });
        // Member lists page by id within a program.
        b.HasIndex(x => new { x.ProgramId, x.Id });
        b.Property(x => x.BlockedReason).HasMaxLength(200);
    }

    public void Configure(EntityTypeBuilder<MemberBlockAudit> b)
    {
        b.ToTable("MemberBlockAudits");
        b.Property(x => x.Action).HasMaxLength(16);
        b.Property(x => x.Reason).HasMaxLength(200);
        b.Property(x => x.Actor).HasMaxLength(64);
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.Id });
    }

    public void Configure(EntityTypeBuilder<MemberProfile> b)
    {
        b.ToTable("MemberProfiles");
        b.HasKey(x => x.MemberId);
        b.Property(x => x.Attributes).HasConversion(
                v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
                v => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(v, (System.Text.Json.JsonSerializerOptions?)null) ?? new())
            .Metadata.SetValueComparer(new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, string>>(
                (a, c) => a!.Count == c!.Count && !a.Except(c).Any(), v => v.Count, v => new Dictionary<string, string>(v)));
        b.Property(x => x.Consents).HasConversion(
                v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
                v => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, ConsentState>>(v, (System.Text.Json.JsonSerializerOptions?)null) ?? new())
            .HasDefaultValueSql("'{}'")
            .Metadata.SetValueComparer(new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, ConsentState>>(
                (a, c) => a!.Count == c!.Count && !a.Except(c).Any(), v => v.Count, v => new Dictionary<string, ConsentState>(v)));
    }

    public void Configure(EntityTypeBuilder<MemberBalance> b)
    {
        b.ToTable("MemberBalances");
        b.HasKey(x => x.MemberId);
        b.HasIndex(x => x.ProgramId);
    }
}
