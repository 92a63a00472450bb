using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Access;

/// <summary>What a program key may do: admin (everything in its program), shop (events, members), partner (verification reads).</summary>
public enum ApiRole { Admin, Shop, Partner, Member }

/// <summary>A program API key. Only its SHA-256 is stored; the key is shown once, at creation.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public ApiRole Role { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters of the key, to recognise it in lists.</summary>
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("ApiKeys");
        b.Property(x => x.Role).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Hash).HasMaxLength(64);
        b.HasIndex(x => x.Hash).IsUnique();
        b.HasIndex(x => x.ProgramId);
    }
}

public sealed record ApiPrincipal(long? ProgramId, ApiRole Role, long? KeyId, string? MemberId = null)
{
    /// <summary>The deployment's bootstrap admin: may create programs and act as admin of any program.</summary>
    public bool IsRoot => ProgramId is null;
}

public sealed class ApiKeyService(LoyaltyDbContext db, TimeProvider time)
{
    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    /// <summary>Creates a key and returns it in plaintext, the only time it is ever visible. Caller saves.</summary>
    public (ApiKey Key, string Plaintext) Create(long programId, ApiRole role, string name)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var secret = RandomNumberGenerator.GetString(alphabet, 40);
        var plaintext = $"lc_{role.ToString().ToLowerInvariant()}_{secret}";
        var key = new ApiKey
        {
            ProgramId = programId,
            Role = role,
            Name = name,
            Prefix = plaintext[..(plaintext.IndexOf('_', 3) + 7)],
            Hash = Hash(plaintext),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Set<ApiKey>().Add(key);
        return (key, plaintext);
    }

    public async Task<ApiPrincipal?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        var hash = Hash(presented);
        var key = await db.Set<ApiKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, ct);
        return key is null ? null : new ApiPrincipal(key.ProgramId, key.Role, key.Id);
    }
}
