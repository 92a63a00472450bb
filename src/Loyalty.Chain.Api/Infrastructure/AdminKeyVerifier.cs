using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Admin settings (section "Admin").</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";
    /// <summary>SHA-256 (hex) of the bootstrap admin key. The key itself is never stored.</summary>
    public string? ApiKeySha256 { get; set; }
}

/// <summary>
/// Recognises the bootstrap admin key (header X-Api-Key, or HTTP Basic password for browser pages such as
/// the job dashboard). Only its hash is configured; comparison is constant-time.
/// </summary>
public sealed class AdminKeyVerifier(Microsoft.Extensions.Options.IOptions<AdminOptions> options)
{
    public bool IsAdminKey(string? key)
    {
        var expected = options.Value.ApiKeySha256;
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(expected)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Loyalty.Chain.Access.ApiKeyService.Hash(key)), Encoding.ASCII.GetBytes(expected.ToLowerInvariant()));
    }

    public bool IsAdminRequest(HttpContext http)
    {
        if (IsAdminKey(http.Request.Headers["X-Api-Key"].FirstOrDefault())) return true;
        var auth = http.Request.Headers.Authorization.FirstOrDefault();
        if (auth is null || !auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..].Trim()));
            var colon = pair.IndexOf(':');
            return colon >= 0 && IsAdminKey(pair[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
