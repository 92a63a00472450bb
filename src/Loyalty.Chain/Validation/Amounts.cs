using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Loyalty.Chain.Validation;

/// <summary>
/// The one amount parser of the API: ASCII digits, optionally a point and at least one digit after it. Nothing
/// else: no sign, exponent, hex, separators, whitespace or NUL (.NET's own parsers accept trailing NULs), no
/// "10." or ".5". The result is an exact integer in the smallest unit and must fit a 64-bit ledger.
/// </summary>
public static partial class Amounts
{
    [GeneratedRegex(@"\A(?<whole>[0-9]{1,30})(\.(?<fraction>[0-9]{1,30}))?\z")]
    private static partial Regex Pattern();

    /// <summary>"49.90" with 2 decimals is 4990. False for anything malformed, more decimals than allowed, or beyond int64.</summary>
    public static bool TryParse(string? text, int decimals, out long value)
    {
        value = 0;
        if (text is null || decimals is < 0 or > 30) return false;
        var match = Pattern().Match(text);
        if (!match.Success) return false;
        var fraction = match.Groups["fraction"].Value.TrimEnd('0');
        if (fraction.Length > decimals) return false;
        var scaled = BigInteger.Parse(match.Groups["whole"].Value + fraction.PadRight(decimals, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
        if (scaled > long.MaxValue) return false;
        value = (long)scaled;
        return true;
    }

    /// <summary>A whole number of points (a decimal string, no fraction).</summary>
    public static bool TryParsePoints(string? text, out long points) => TryParse(text, 0, out points);
}
