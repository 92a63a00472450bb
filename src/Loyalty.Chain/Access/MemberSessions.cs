using System.Security.Cryptography;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Access;

/// <summary>
/// A member's browser session (the portal): opened with a member token or a SIWE sign-in, carried in an HttpOnly
/// cookie, ended server-side on sign-out or expiry. Only hashes are stored: a database copy opens no session.
/// </summary>
public sealed class MemberSession
{
    public long Id { get; set; }
    /// <summary>SHA-256 of the cookie's secret (hex).</summary>
    public required string SecretHash { get; set; }
    /// <summary>SHA-256 of the CSRF token the page sends in X-CSRF-Token on every mutating call (hex).</summary>
    public required string CsrfHash { get; set; }
    public long ProgramId { get; set; }
    /// <summary>The member's internal id (never the shop's customer id): the session acts as that member's own token would.</summary>
    public long MemberId { get; set; }
    /// <summary>How the session was opened: "token" or "siwe".</summary>
    public required string Method { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? EndedAt { get; set; }
}

internal sealed class MemberSessionConfiguration : IEntityTypeConfiguration<MemberSession>
{
    public void Configure(EntityTypeBuilder<MemberSession> builder)
    {
        builder.ToTable("MemberSessions");
        builder.Property(s => s.SecretHash).HasMaxLength(64);
        builder.Property(s => s.CsrfHash).HasMaxLength(64);
        builder.Property(s => s.Method).HasMaxLength(16);
        builder.HasIndex(s => s.SecretHash).IsUnique();
        builder.HasIndex(s => s.ExpiresAt);
        builder.HasIndex(s => s.MemberId);
    }
}

public sealed record OpenedSession(string Secret, string Csrf, DateTimeOffset ExpiresAt);

/// <summary>Opens, checks and ends member sessions.</summary>
public sealed class MemberSessions(LoyaltyDbContext db, TimeProvider time)
{
    public const string CookieName = "lc_session";
    public const string CsrfHeader = "X-CSRF-Token";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public async Task<OpenedSession> OpenAsync(long programId, long memberId, string method, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var secret = NewSecret();
        var csrf = NewSecret();
        await db.InWriteTransactionAsync(async c =>
        {
            // Expired sessions are worthless: cleaned up on the way, like unused SIWE nonces.
            await db.Set<MemberSession>().Where(s => s.ExpiresAt < now.UtcDateTime.AddDays(-1)).ExecuteDeleteAsync(c);
            db.Add(new MemberSession
            {
                SecretHash = Hash(secret), CsrfHash = Hash(csrf), ProgramId = programId, MemberId = memberId, Method = method,
                CreatedAt = now.UtcDateTime, ExpiresAt = now.UtcDateTime + Lifetime,
            });
            await db.SaveChangesAsync(c);
            db.ChangeTracker.Clear();
        }, ct);
        return new OpenedSession(secret, csrf, now + Lifetime);
    }

    /// <summary>The live session for a cookie secret (not ended, not expired), or null.</summary>
    public async Task<MemberSession?> FindAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 100) return null;
        var hash = Hash(secret);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Set<MemberSession>().AsNoTracking()
            .SingleOrDefaultAsync(s => s.SecretHash == hash && s.EndedAt == null && s.ExpiresAt > now, ct);
    }

    /// <summary>A fresh CSRF token for a live session (a reloaded page has lost the one it was given).</summary>
    public async Task<string> RenewCsrfAsync(MemberSession session, CancellationToken ct)
    {
        var csrf = NewSecret();
        await db.InWriteTransactionAsync(c => db.Set<MemberSession>().Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.CsrfHash, Hash(csrf)), c), ct);
        return csrf;
    }

    public static bool CsrfMatches(MemberSession session, string? presented) =>
        !string.IsNullOrEmpty(presented) && presented.Length <= 100 &&
        CryptographicOperations.FixedTimeEquals(Convert.FromHexString(session.CsrfHash), SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented)));

    public async Task EndAsync(MemberSession session, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await db.InWriteTransactionAsync(c => db.Set<MemberSession>().Where(s => s.Id == session.Id && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now), c), ct);
    }

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));
}
