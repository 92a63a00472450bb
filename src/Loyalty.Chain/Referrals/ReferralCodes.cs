using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Chain.Referrals;

/// <summary>
/// Referral codes: 8 characters of Crockford base32 (no I, L, O, U), drawn with a cryptographic generator. Matching ignores
/// case, '-' and spaces, and reads the look-alikes as Crockford does (O as 0, I and L as 1).
/// </summary>
public static class ReferralCodes
{
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 8;
    public const int MaxInputLength = 32;

    public static string New()
    {
        Span<char> code = stackalloc char[Length];
        for (var i = 0; i < Length; i++) code[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(code);
    }

    /// <summary>The canonical form of a typed code, or null when it cannot be a code (wrong length or characters).</summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > MaxInputLength) return null;
        var sb = new StringBuilder(Length);
        foreach (var raw in input)
        {
            if (raw is '-' or ' ') continue;
            var c = char.ToUpperInvariant(raw) switch { 'O' => '0', 'I' or 'L' => '1', var other => other };
            if (!Alphabet.Contains(c)) return null;
            sb.Append(c);
        }
        return sb.Length == Length ? sb.ToString() : null;
    }

    /// <summary>Shown as two groups of four ("K7M2-9QXD"); both forms are accepted.</summary>
    public static string Display(string code) => code.Length == Length ? $"{code[..4]}-{code[4..]}" : code;
}

/// <summary>The pure fraud checks: the same person behind both sides of a referral.</summary>
public static class ReferralFraud
{
    public static string? EmailHash(string? email) =>
        string.IsNullOrWhiteSpace(email) ? null : Hash(email.Trim().ToLowerInvariant());

    public static string? PhoneHash(string? phone)
    {
        var digits = phone is null ? "" : new string(phone.Where(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? null : Hash(digits);
    }

    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    public sealed record Side(long MemberId, string? Email, string? Phone, IReadOnlyCollection<string?> Wallets);

    /// <summary>The reason the referral must be refused, or null. Compared as SHA-256 hashes of the normalised values.</summary>
    public static string? Refusal(Side referrer, Side referee)
    {
        if (referrer.MemberId == referee.MemberId) return ReferralReasons.SelfReferral;
        if (EmailHash(referrer.Email) is { } e && e == EmailHash(referee.Email)) return ReferralReasons.SameEmail;
        if (PhoneHash(referrer.Phone) is { } p && p == PhoneHash(referee.Phone)) return ReferralReasons.SamePhone;
        return SameWallet(referrer.Wallets, referee.Wallets) ? ReferralReasons.SameWallet : null;
    }

    public static bool SameWallet(IEnumerable<string?> a, IEnumerable<string?> b)
    {
        var mine = a.Where(w => !string.IsNullOrEmpty(w)).Select(w => w!.ToLowerInvariant()).ToHashSet();
        return b.Any(w => !string.IsNullOrEmpty(w) && mine.Contains(w.ToLowerInvariant()));
    }
}
