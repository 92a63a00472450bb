using System.Globalization;
using System.Numerics;

namespace Loyalty.Chain.Earning;

/// <summary>Formatting for outcome reasons. Exact: minor units are split with integer arithmetic.</summary>
internal static class EarningText
{
    // ISO 4217 minor-unit exponents that are not 2.
    private static readonly Dictionary<string, int> Exponents = new(StringComparer.OrdinalIgnoreCase)
    {
        ["BIF"] = 0, ["CLP"] = 0, ["DJF"] = 0, ["GNF"] = 0, ["ISK"] = 0, ["JPY"] = 0, ["KMF"] = 0, ["KRW"] = 0,
        ["PYG"] = 0, ["RWF"] = 0, ["UGX"] = 0, ["UYI"] = 0, ["VND"] = 0, ["VUV"] = 0, ["XAF"] = 0, ["XOF"] = 0,
        ["XPF"] = 0, ["BHD"] = 3, ["IQD"] = 3, ["JOD"] = 3, ["KWD"] = 3, ["LYD"] = 3, ["OMR"] = 3, ["TND"] = 3,
        ["CLF"] = 4, ["UYW"] = 4,
    };

    public static string Money(BigInteger minorUnits, string? currency)
    {
        var exponent = currency is null ? 2 : Exponents.GetValueOrDefault(currency, 2);
        var abs = BigInteger.Abs(minorUnits);
        var scale = BigInteger.Pow(10, exponent);
        var text = (abs / scale).ToString(CultureInfo.InvariantCulture);
        if (exponent > 0) text += "." + (abs % scale).ToString(CultureInfo.InvariantCulture).PadLeft(exponent, '0');
        if (minorUnits.Sign < 0) text = "-" + text;
        return currency is null ? text : text + " " + currency.ToUpperInvariant();
    }

    public static string Number(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Points(BigInteger value) => Number(value) + (value == 1 ? " point" : " points");

    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string List(IEnumerable<string> values) => string.Join(", ", values);

    public static string Name(RoundingMode mode) => mode switch
    {
        RoundingMode.Floor => "floor",
        RoundingMode.Ceiling => "ceiling",
        RoundingMode.HalfUp => "half-up",
        _ => mode.ToString(),
    };
}
