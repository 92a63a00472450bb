using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Access;

/// <summary>What a program key may do: admin (everything in its program), shop (events, members), partner (verification reads).</summary>
public enum ApiRole { Admin, Shop, Partner, Member }

public static class ApiRoles
{
    /// <summary>
    /// A role by its name only, any case. Enum.TryParse would also take "0" (Admin), " admin" and "shop, admin":
    /// a key's role must be exactly one named value.
    /// </summary>
    public static bool TryParseName(string? text, out ApiRole role)
    {
        role = default;
        var name = Enum.GetNames<ApiRole>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        if (name is null) return false;
        role = Enum.Parse<ApiRole>(name);
        return true;
    }
}

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

/// <param name="MemberId">A member principal's external id, read from its member row on this request.</param>
/// <param name="MemberKey">A member principal's internal id: what its token or session names.</param>
public sealed record ApiPrincipal(long? ProgramId, ApiRole Role, long? KeyId, string? MemberId = null, long? MemberKey = null)
{
    /// <summary>The deployment's bootstrap admin: may create programs and act as admin of any program.</summary>
    public bool IsRoot => ProgramId is null;

    /// <summary>Who acted, as audit rows record it: "root" for the deployment admin, "key:{id}" for a program key.</summary>
    public string Actor => IsRoot ? "root" : $"key:{KeyId}";
}

/// <summary>Creates, authenticates and revokes program keys.</summary>
/// <remarks>
/// Authentication is on every request, so a valid key's lookup is reused for <see cref="CacheFor"/> instead of
/// querying the database each time. A key revoked through this service stops working at once on this
/// instance, and within <see cref="CacheFor"/> on other instances sharing the database. Unknown keys are not
/// cached, so a new key works at once. The cache is keyed by the key's SHA-256, like the table: the plaintext
/// is never kept.
/// </remarks>
public sealed class ApiKeyService(LoyaltyDbContext db, TimeProvider time, ApiKeyCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

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
        var now = time.GetUtcNow();
        if (cache.TryGet(hash, now, out var cached)) return cached;
        var generation = cache.Generation;
        var key = await db.Set<ApiKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, ct);
        if (key is null) return null;
        var principal = new ApiPrincipal(key.ProgramId, key.Role, key.Id);
        cache.Set(hash, principal, now + CacheFor, generation);
        return principal;
    }

    /// <summary>Revokes a key of the program; false when there is no such unrevoked key.</summary>
    public async Task<bool> RevokeAsync(long programId, long keyId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var changed = await db.Set<ApiKey>().Where(k => k.Id == keyId && k.ProgramId == programId && k.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now), ct);
        cache.Evict(keyId);
        return changed == 1;
    }
}

/// <summary>The valid keys <see cref="ApiKeyService"/> looked up recently, by SHA-256 (a singleton per service instance).</summary>
public sealed class ApiKeyCache
{
    private readonly ConcurrentDictionary<string, (ApiPrincipal Principal, DateTimeOffset Until)> entries = new(StringComparer.Ordinal);
    private long generation;

    /// <summary>Bumped by every eviction: a lookup that started before it must not cache what it read.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public bool TryGet(string hash, DateTimeOffset now, out ApiPrincipal? principal)
    {
        principal = entries.TryGetValue(hash, out var entry) && entry.Until > now ? entry.Principal : null;
        return principal is not null;
    }

    public void Set(string hash, ApiPrincipal principal, DateTimeOffset until, long readAt)
    {
        entries[hash] = (principal, until);
        // A revocation between the read and now: drop what was just cached (the read may predate it).
        if (Generation != readAt) entries.TryRemove(hash, out _);
    }

    public void Evict(long keyId)
    {
        Interlocked.Increment(ref generation);
        foreach (var (hash, entry) in entries)
            if (entry.Principal.KeyId == keyId) entries.TryRemove(hash, out _);
    }
}
