using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>A single-use server nonce for a Sign-In-With-Ethereum message.</summary>
public sealed class SiweNonce
{
    public required string Nonce { get; set; }
    public long ProgramId { get; set; }

    /// <summary>The member the nonce was issued for: a challenge for one member cannot link another.</summary>
    public long MemberId { get; set; }

    /// <summary>The address the challenge names (lower-case 0x hex): a nonce issued for one wallet cannot link another.</summary>
    public string Address { get; set; } = "";
    public DateTime IssuedAt { get; set; }
    public DateTime ExpiresAt { get; set; }

    /// <summary>Set once, by a conditional update, when a signed message carrying this nonce is accepted.</summary>
    public DateTime? UsedAt { get; set; }

    /// <summary>
    /// The address the nonce linked (lower-case 0x hex): set only by a wallet link, the start of the withdrawal cool-off.
    /// A sign-in with an already linked wallet consumes its nonce (UsedAt) but leaves this null; its address is <see cref="Address"/>.
    /// </summary>
    public string? UsedBy { get; set; }
}

internal sealed class SiweNonceConfiguration : IEntityTypeConfiguration<SiweNonce>
{
    public void Configure(EntityTypeBuilder<SiweNonce> builder)
    {
        builder.ToTable("SiweNonces");
        builder.HasKey(n => n.Nonce);
        builder.Property(n => n.Nonce).HasMaxLength(64);
        builder.Property(n => n.UsedBy).HasMaxLength(42);
        builder.Property(n => n.Address).HasMaxLength(42);
        builder.HasIndex(n => n.ExpiresAt);
        // The consumed nonce is the record of when a member linked a wallet (the withdrawal cool-off starts there).
        builder.HasIndex(n => new { n.MemberId, n.UsedAt });
    }
}
