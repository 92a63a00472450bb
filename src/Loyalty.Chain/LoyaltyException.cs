namespace Loyalty.Chain;

/// <summary>
/// The one exception type for a refused request, in the domain and in the API alike: a stable machine-readable
/// code (e.g. INSUFFICIENT_POINTS) and an HTTP status. The API maps it to RFC 9457 problem details.
/// </summary>
public sealed class LoyaltyException(string code, string message, int status = 400) : Exception(message)
{
    public string Code { get; } = code;
    public int Status { get; } = status;
}
