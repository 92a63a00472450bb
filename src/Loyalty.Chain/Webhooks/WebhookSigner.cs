using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Chain.Webhooks;

/// <summary>Standard Webhooks 1.0 signing, through the StandardWebhooks package (its reference implementation).</summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret: whsec_ + base64 of 24 random bytes (the spec allows 24-64).</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string NewMessageId() => "msg_" + Guid.CreateVersion7().ToString("N");

    /// <summary>One <c>v1,&lt;base64&gt;</c> per secret, space-separated, as the spec's <c>webhook-signature</c> header.</summary>
    public static string SignatureHeader(IEnumerable<string> secrets, string messageId, DateTimeOffset timestamp, string body) =>
        string.Join(' ', secrets.Select(s => new StandardWebhooks.StandardWebhook(s).Sign(messageId, timestamp, body)));

    /// <summary>The reference algorithm written out, used by tests to check the package independently.</summary>
    public static string Reference(string secret, string messageId, long unixSeconds, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{unixSeconds}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}
