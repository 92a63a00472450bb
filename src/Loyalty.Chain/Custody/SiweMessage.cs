using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Nethereum.Util;

namespace Loyalty.Chain.Custody;

/// <summary>
/// A Sign-In-With-Ethereum (EIP-4361) message. <see cref="ToString"/> writes the canonical text; signatures
/// are always checked over the exact text received, never over a re-serialisation.
/// </summary>
public sealed partial record SiweMessage
{
    private const string Preamble = " wants you to sign in with your Ethereum account:";

    public string? Scheme { get; init; }
    public required string Domain { get; init; }

    /// <summary>EIP-55 checksummed, as the standard requires.</summary>
    public required string Address { get; init; }
    public string? Statement { get; init; }
    public required string Uri { get; init; }
    public string Version { get; init; } = "1";
    public required long ChainId { get; init; }
    public required string Nonce { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset? ExpirationTime { get; init; }
    public DateTimeOffset? NotBefore { get; init; }
    public string? RequestId { get; init; }
    public IReadOnlyList<string> Resources { get; init; } = [];

    public override string ToString()
    {
        var text = new StringBuilder();
        if (Scheme is not null) text.Append(Scheme).Append("://");
        text.Append(Domain).Append(Preamble).Append('\n').Append(Address).Append("\n\n");
        if (Statement is not null) text.Append(Statement).Append('\n');
        text.Append('\n')
            .Append("URI: ").Append(Uri).Append('\n')
            .Append("Version: ").Append(Version).Append('\n')
            .Append("Chain ID: ").Append(ChainId.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("Nonce: ").Append(Nonce).Append('\n')
            .Append("Issued At: ").Append(FormatTime(IssuedAt));
        if (ExpirationTime is { } expires) text.Append("\nExpiration Time: ").Append(FormatTime(expires));
        if (NotBefore is { } notBefore) text.Append("\nNot Before: ").Append(FormatTime(notBefore));
        if (RequestId is not null) text.Append("\nRequest ID: ").Append(RequestId);
        if (Resources.Count > 0)
        {
            text.Append("\nResources:");
            foreach (var resource in Resources) text.Append("\n- ").Append(resource);
        }
        return text.ToString();
    }

    /// <summary>Parses the EIP-4361 text strictly (field order, LF line ends, EIP-55 address).</summary>
    /// <exception cref="FormatException">The text is not a valid EIP-4361 message; the message says why.</exception>
    public static SiweMessage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\r')) throw new FormatException("Lines must end with LF only.");
        var lines = text.Split('\n');
        var i = 0;
        string Next(string what) => i < lines.Length ? lines[i++] : throw new FormatException($"The message ends before {what}.");

        var header = Next("the header");
        if (!header.EndsWith(Preamble, StringComparison.Ordinal))
            throw new FormatException("The first line must end with '" + Preamble.Trim() + "'.");
        var authority = header[..^Preamble.Length];
        string? scheme = null;
        if (authority.IndexOf("://", StringComparison.Ordinal) is var sep and >= 0)
            (scheme, authority) = (authority[..sep], authority[(sep + 3)..]);
        if (authority.Length == 0 || authority.Any(char.IsWhiteSpace))
            throw new FormatException("The domain is missing or contains white space.");

        var address = Next("the address");
        if (!AddressPattern().IsMatch(address)) throw new FormatException("The address is not 0x followed by 40 hex digits.");
        if (AddressUtil.Current.ConvertToChecksumAddress(address) != address)
            throw new FormatException("The address is not EIP-55 checksummed.");
        if (Next("the blank line") != "") throw new FormatException("A blank line must follow the address.");
        string? statement = Next("the statement");
        if (statement == "") statement = null;
        else if (Next("the blank line") != "") throw new FormatException("A blank line must follow the statement.");

        string Field(string name) => Next(name) is var line && line.StartsWith(name + ": ", StringComparison.Ordinal)
            ? line[(name.Length + 2)..] : throw new FormatException($"Expected the '{name}' field at line {i}.");
        string? Optional(string name) => i < lines.Length && lines[i].StartsWith(name + ": ", StringComparison.Ordinal)
            ? Field(name) : null;

        var uri = Field("URI");
        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out _)) throw new FormatException("The URI is not an absolute URI.");
        var version = Field("Version");
        if (version != "1") throw new FormatException("Only version 1 is defined.");
        var chain = Field("Chain ID");
        if (!chain.All(char.IsAsciiDigit) || !long.TryParse(chain, NumberStyles.None, CultureInfo.InvariantCulture, out var chainId))
            throw new FormatException("The chain id is not a decimal number.");
        var nonce = Field("Nonce");
        if (nonce.Length < 8 || !nonce.All(char.IsAsciiLetterOrDigit))
            throw new FormatException("The nonce must be at least 8 letters or digits.");
        var message = new SiweMessage
        {
            Scheme = scheme, Domain = authority, Address = address, Statement = statement, Uri = uri, Version = version,
            ChainId = chainId, Nonce = nonce, IssuedAt = ParseTime(Field("Issued At"), "Issued At"),
            ExpirationTime = Optional("Expiration Time") is { } exp ? ParseTime(exp, "Expiration Time") : null,
            NotBefore = Optional("Not Before") is { } nbf ? ParseTime(nbf, "Not Before") : null,
            RequestId = Optional("Request ID"),
        };
        if (i < lines.Length && lines[i] == "Resources:")
        {
            var resources = new List<string>();
            for (i++; i < lines.Length && lines[i].StartsWith("- ", StringComparison.Ordinal); i++)
                resources.Add(lines[i][2..]);
            message = message with { Resources = resources };
        }
        if (i != lines.Length) throw new FormatException($"Unexpected content at line {i + 1}.");
        return message;
    }

    private static string FormatTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string value, string field) =>
        Rfc3339Pattern().IsMatch(value) &&
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw new FormatException($"'{field}' is not an RFC 3339 date-time.");

    [GeneratedRegex(@"\A0x[0-9a-fA-F]{40}\z")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex Rfc3339Pattern();
}
