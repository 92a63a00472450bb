using System.Text.RegularExpressions;

namespace Loyalty.Chain.Validation;

/// <summary>
/// The one pattern for ids that callers choose (member, event and order ids). <c>\z</c>, never <c>$</c>: <c>$</c>
/// also matches before a final newline, so "x" and "x\n" would be two members.
/// </summary>
public static partial class Ids
{
    public const int MaxLength = 128;

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\z")]
    private static partial Regex Pattern();

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>INVALID_ID (400) unless <paramref name="id"/> matches the pattern.</summary>
    public static string Validate(string? id, string field) => IsValid(id) ? id!
        : throw new LoyaltyException("INVALID_ID", $"{field} must be 1-{MaxLength} characters of letters, digits and . _ : @ -");
}
