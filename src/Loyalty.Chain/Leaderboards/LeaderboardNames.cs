using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace Loyalty.Chain.Leaderboards;

/// <summary>Pseudonyms: a member's chosen name checked, or one generated from a keyed hash ("Bold Otter 42").</summary>
public static partial class LeaderboardNames
{
    public const int MinLength = 3;
    public const int MaxLength = 24;
    /// <summary>This many digits or more look like a phone number (or a customer number).</summary>
    public const int MaxDigits = 5;

    [GeneratedRegex(@"\A[\p{L}\p{N}_\- ]{3,24}\z")]
    private static partial Regex Pattern();

    private static readonly string[] Adjectives =
    [
        "Bold", "Brave", "Bright", "Calm", "Clever", "Cosy", "Daring", "Eager", "Fair", "Gentle", "Glad", "Grand", "Happy", "Jolly",
        "Keen", "Kind", "Lively", "Lucky", "Merry", "Mighty", "Noble", "Proud", "Quick", "Quiet", "Rapid", "Sunny", "Swift", "Witty",
    ];

    private static readonly string[] Animals =
    [
        "Otter", "Badger", "Beaver", "Bison", "Crane", "Falcon", "Fox", "Gecko", "Heron", "Ibex", "Koala", "Lemur", "Lynx", "Marten",
        "Moose", "Newt", "Owl", "Panda", "Puffin", "Raven", "Robin", "Seal", "Stork", "Swan", "Tiger", "Walrus", "Wolf", "Yak",
    ];

    public static string Normalize(string name) => name.ToLowerInvariant();

    /// <summary>
    /// The chosen name, trimmed, or INVALID_DISPLAY_NAME / DISPLAY_NAME_NOT_ALLOWED. <paramref name="forbidden"/> are strings
    /// the name must not contain (the member's external id, the local part of their e-mail): a pseudonym must not identify.
    /// </summary>
    public static string Validate(string? name, IEnumerable<string?> forbidden)
    {
        var n = name?.Trim() ?? "";
        if (!Pattern().IsMatch(n) || n.Contains("  "))
            throw new LoyaltyException("INVALID_DISPLAY_NAME",
                $"displayName must be {MinLength}-{MaxLength} letters, digits, spaces, '_' or '-' (no double spaces)");
        if (n.Count(char.IsDigit) > MaxDigits)
            throw new LoyaltyException("DISPLAY_NAME_NOT_ALLOWED", "displayName must not look like a phone or customer number");
        foreach (var f in forbidden)
            if (f is { Length: >= MinLength } && n.Contains(f, StringComparison.OrdinalIgnoreCase))
                throw new LoyaltyException("DISPLAY_NAME_NOT_ALLOWED", "displayName must not contain your customer id or e-mail");
        return n;
    }

    /// <summary>The <paramref name="attempt"/>-th generated name from a keyed hash of (program, member): deterministic, never the id.</summary>
    public static string Generate(ReadOnlySpan<byte> mac)
    {
        var a = BinaryPrimitives.ReadUInt32BigEndian(mac[..4]);
        var b = BinaryPrimitives.ReadUInt32BigEndian(mac[4..8]);
        var c = BinaryPrimitives.ReadUInt32BigEndian(mac[8..12]);
        return $"{Adjectives[a % Adjectives.Length]} {Animals[b % Animals.Length]} {10 + c % 90}";
    }
}
