namespace Loyalty.Chain.Programs;

/// <summary>ISO 4217 currencies and their minor-unit exponents, so money is parsed into exact integers.</summary>
public static class Currencies
{
    private static readonly Dictionary<string, int> Exponents = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EUR"] = 2, ["USD"] = 2, ["GBP"] = 2, ["CHF"] = 2, ["SEK"] = 2, ["NOK"] = 2, ["DKK"] = 2, ["PLN"] = 2,
        ["CZK"] = 2, ["HUF"] = 2, ["RON"] = 2, ["CAD"] = 2, ["AUD"] = 2, ["NZD"] = 2, ["SGD"] = 2, ["HKD"] = 2,
        ["CNY"] = 2, ["INR"] = 2, ["BRL"] = 2, ["MXN"] = 2, ["ZAR"] = 2, ["TRY"] = 2, ["AED"] = 2, ["ILS"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["ISK"] = 0, ["CLP"] = 0, ["VND"] = 0,
        ["BHD"] = 3, ["KWD"] = 3, ["OMR"] = 3, ["JOD"] = 3, ["TND"] = 3,
    };

    public static bool IsKnown(string? code) => code is { Length: 3 } && Exponents.ContainsKey(code);

    public static int Exponent(string code) => Exponents[code];

    /// <summary>
    /// Parses "49.90" into 4990 minor units for a 2-decimal currency. Refuses more fractional digits than
    /// the currency has, negatives and anything that is not a plain decimal number.
    /// </summary>
    public static bool TryParseMinor(string? text, string currency, out long minor) =>
        Validation.Amounts.TryParse(text, Exponent(currency), out minor);

    public static string Format(long minor, string currency)
    {
        var exponent = Exponent(currency);
        return exponent == 0 ? minor.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : (minor / Pow10(exponent)).ToString("F" + exponent, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static decimal Pow10(int e) => e switch { 0 => 1m, 1 => 10m, 2 => 100m, 3 => 1000m, _ => throw new ArgumentOutOfRangeException(nameof(e)) };
}
