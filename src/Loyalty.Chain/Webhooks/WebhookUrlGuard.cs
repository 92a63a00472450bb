using System.Net;
using System.Net.Sockets;

namespace Loyalty.Chain.Webhooks;

/// <summary>
/// The SSRF guard. At registration: https only (http only to loopback when <see cref="WebhookOptions.AllowLoopbackHttp"/>),
/// and a literal address must be public. At send time <see cref="ConnectAsync"/> resolves the host itself and checks every
/// address it connects to, so a name that later resolves to 10.0.0.1 or 169.254.169.254 (DNS rebinding) is still refused.
/// </summary>
public static class WebhookUrlGuard
{
    public const int MaxUrlLength = 2048;
    public const string InvalidUrl = "WEBHOOK_URL_INVALID";
    public const string SchemeRefused = "WEBHOOK_URL_SCHEME_REFUSED";
    public const string AddressRefused = "WEBHOOK_URL_ADDRESS_REFUSED";

    /// <summary>Checks a URL as given; throws <see cref="LoyaltyException"/> with one of the codes above.</summary>
    public static Uri Validate(string? url, WebhookOptions o)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.UserInfo.Length > 0 || uri.Host.Length == 0 || !string.IsNullOrEmpty(uri.Fragment))
            throw new LoyaltyException(InvalidUrl, "url must be an absolute https URL without credentials or fragment");
        var loopbackHost = IsLoopbackName(uri);
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (!(o.AllowLoopbackHttp && loopbackHost))
                throw new LoyaltyException(SchemeRefused, "url must use https (http is allowed only to loopback, in development)");
        }
        else if (uri.Scheme != Uri.UriSchemeHttps)
            throw new LoyaltyException(SchemeRefused, "url must use https");
        if (loopbackHost && !o.AllowLoopbackHttp)
            throw new LoyaltyException(AddressRefused, "url points at loopback");
        if (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && !IsAllowed(ip, o))
            throw new LoyaltyException(AddressRefused, $"url points at a non-public address ({Describe(ip)})");
        return uri;
    }

    private static bool IsLoopbackName(Uri uri) =>
        uri.IsLoopback || uri.DnsSafeHost.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                       || uri.DnsSafeHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    public static bool IsAllowed(IPAddress ip, WebhookOptions o)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip)) return o.AllowLoopbackHttp;
        return Describe(ip) == "public";
    }

    /// <summary>Names the class of an address; "public" for the only class webhooks may reach.</summary>
    public static string Describe(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip)) return "loopback";
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return b switch
            {
                [0, ..] => "unspecified",
                [10, ..] => "private",
                [100, >= 64 and <= 127, ..] => "shared (CGNAT)",
                [169, 254, ..] => "link-local",
                [172, >= 16 and <= 31, ..] => "private",
                [192, 0, 0, _] => "reserved",
                [192, 168, ..] => "private",
                [198, 18 or 19, ..] => "benchmarking",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved",
                _ => "public",
            };
        }
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (ip.Equals(IPAddress.IPv6None) || ip.Equals(IPAddress.IPv6Any)) return "unspecified";
            if (ip.IsIPv6LinkLocal) return "link-local";
            if (ip.IsIPv6SiteLocal) return "private";
            if (ip.IsIPv6UniqueLocal) return "private";
            if (ip.IsIPv6Multicast) return "multicast";
            var b = ip.GetAddressBytes();
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "documentation";
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return "nat64";
            return "public";
        }
        return "unknown";
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves, refuses non-public addresses, connects to an allowed one.</summary>
    public static ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, WebhookOptions o, CancellationToken ct) =>
        ConnectToAsync(context.DnsEndPoint, o, ct);

    public static async ValueTask<Stream> ConnectToAsync(DnsEndPoint endpoint, WebhookOptions o, CancellationToken ct)
    {
        var host = endpoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new WebhookRefusedException(AddressRefused, $"{host} did not resolve");
        var refused = addresses.FirstOrDefault(a => !IsAllowed(a, o));
        // Any refused address refuses the host: connecting to "the good one" would let a rebinding name pick its moment.
        if (refused is not null) throw new WebhookRefusedException(AddressRefused, $"{host} resolves to a non-public address ({Describe(refused)})");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A send refused by the guard at connect time; its code lands in the delivery log.</summary>
public sealed class WebhookRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
