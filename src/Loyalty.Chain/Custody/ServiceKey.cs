using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>
/// A key the service itself signs with (the operator that pays gas, a claim signer, an attester). These are
/// random keys, never derived from a member seed: leaking one must not expose members, and vice versa.
/// </summary>
public sealed class ServiceKey
{
    public long Id { get; set; }
    public required string Purpose { get; set; }

    /// <summary>Null for a key shared by all programs, such as the operator.</summary>
    public long? ProgramId { get; set; }

    /// <summary>
    /// Purpose and program as one non-null string: unique indexes treat NULLs as distinct, so a unique
    /// (Purpose, ProgramId) would still allow two global operator keys.
    /// </summary>
    public required string Scope { get; set; }

    /// <summary>Lower-case 0x hex.</summary>
    public required string Address { get; set; }
    public required EncryptedSecret Secret { get; set; }
    public DateTime CreatedAt { get; set; }

    public static string ScopeFor(string purpose, long? programId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        return programId is { } id ? $"{purpose}:program:{id}" : $"{purpose}:global";
    }

    internal static string SecretPurpose(string scope) => "service-key:" + scope;
}

internal sealed class ServiceKeyConfiguration : IEntityTypeConfiguration<ServiceKey>
{
    public void Configure(EntityTypeBuilder<ServiceKey> builder)
    {
        builder.ToTable("ServiceKeys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Purpose).HasMaxLength(64);
        builder.Property(k => k.Scope).HasMaxLength(128);
        builder.Property(k => k.Address).HasMaxLength(42);
        builder.HasIndex(k => k.Scope).IsUnique();
    }
}
