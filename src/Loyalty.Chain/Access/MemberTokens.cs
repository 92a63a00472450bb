using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Custody;
using System.Buffers.Text;

namespace Loyalty.Chain.Access;

/// <summary>
/// Short-lived member tokens: the brand's backend (admin or shop key) asks for one on behalf of a signed-in
/// member, and the member's app then acts as that member only (balances, history, own redemptions). A token
/// is an HMAC-SHA256 over (version, program, member, expiry) with a key kept encrypted in custody; nothing is stored.
/// The member is named by its internal id, never the shop's customer id: a token names no personal data, and it dies
/// with its member. After a forget, the same customer id enrolled again is a new member that the old token cannot reach.
/// </summary>
public sealed class MemberTokens(CustodyService custody, TimeProvider time)
{
    public const string Prefix = "lcm_";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private const string KeyPurpose = "member-token-hmac";
    /// <summary>The payload's first field. Tokens of the first format (program|external id|expiry) have 3 fields and are refused.</summary>
    private const string Version = "2";

    /// <summary>A token for the member with internal id <paramref name="memberKey"/>.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> IssueAsync(long programId, long memberKey, CancellationToken ct)
    {
        var expires = time.GetUtcNow().Add(Lifetime);
        var payload = Encoding.UTF8.GetBytes($"{Version}|{programId}|{memberKey}|{expires.ToUnixTimeSeconds()}");
        var mac = await MacAsync(payload, ct);
        return (Prefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac), expires);
    }

    /// <summary>The (program, member internal id) a valid, unexpired token names; null otherwise. The caller resolves the member.</summary>
    public async Task<(long ProgramId, long MemberKey)?> ValidateAsync(string token, CancellationToken ct)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 400) return null;
        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 2) return null;
        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[0]);
            mac = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException) { return null; }
        var expected = await MacAsync(payload, ct);
        if (!CryptographicOperations.FixedTimeEquals(mac, expected)) return null;
        var fields = Encoding.UTF8.GetString(payload).Split('|');
        if (fields.Length != 4 || fields[0] != Version || !long.TryParse(fields[1], out var programId)
            || !long.TryParse(fields[2], out var memberKey) || !long.TryParse(fields[3], out var exp)) return null;
        if (DateTimeOffset.FromUnixTimeSeconds(exp) <= time.GetUtcNow()) return null;
        return (programId, memberKey);
    }

    private async Task<byte[]> MacAsync(byte[] payload, CancellationToken ct)
    {
        await custody.GetOrCreateServiceKeyAsync(KeyPurpose, null, ct);
        return await custody.WithServiceKeyAsync(KeyPurpose, null, key =>
        {
            var secret = key.GetPrivateKeyAsBytes();
            try { return HMACSHA256.HashData(secret, payload); }
            finally { CryptographicOperations.ZeroMemory(secret); }
        }, ct);
    }
}
