namespace Loyalty.Chain;

/// <summary>
/// A request the domain refuses, with a stable machine-readable code (e.g. INSUFFICIENT_POINTS).
/// The API maps it to RFC 9457 problem details with <see cref="Status"/>.
/// </summary>
public sealed class LoyaltyException(string code, string message, int status = 400) : Exception(message)
{
    public string Code { get; } = code;
    public int Status { get; } = status;
}
