namespace Loyalty.Chain.Programs;

/// <summary>The expiry policy as the API takes it: {"policy":"fixed","months":12,"roundToMonthEnd":true}.</summary>
public sealed record ExpiryPolicyRequest(string? Policy, int? Months, int? Days, bool? RoundToMonthEnd);

/// <summary>Validates and applies a program's expiry and return policies; every refusal is a stable code and changes nothing.</summary>
public static class ProgramPolicies
{
    public static void ApplyExpiry(LoyaltyProgram program, ExpiryPolicyRequest request)
    {
        var policy = request.Policy?.Trim().ToLowerInvariant() switch
        {
            "none" => ExpiryPolicy.None,
            "fixed" => ExpiryPolicy.Fixed,
            "inactivity" => ExpiryPolicy.Inactivity,
            _ => throw new LoyaltyException("INVALID_EXPIRY_POLICY", "expiry.policy must be none, fixed or inactivity"),
        };
        if (policy == ExpiryPolicy.None)
        {
            if (request.Months is not null || request.Days is not null || request.RoundToMonthEnd is true)
                throw new LoyaltyException("INVALID_EXPIRY_POLICY", "expiry.policy none takes no period");
            (program.ExpiryPolicy, program.ExpiryMonths, program.ExpiryDays, program.ExpiryRoundToMonthEnd) = (policy, null, null, false);
            return;
        }
        if ((request.Months is null) == (request.Days is null))
            throw new LoyaltyException("INVALID_EXPIRY_PERIOD", "give the period as exactly one of expiry.months (1-120) or expiry.days (0-3650)");
        if (request.Months is < 1 or > 120) throw new LoyaltyException("INVALID_EXPIRY_PERIOD", "expiry.months must be 1-120");
        // 0 days: points expire as soon as they are available (a test or demo setting, never a brand's).
        if (request.Days is < 0 or > 3650) throw new LoyaltyException("INVALID_EXPIRY_PERIOD", "expiry.days must be 0-3650");
        if (request.RoundToMonthEnd is true && policy != ExpiryPolicy.Fixed)
            throw new LoyaltyException("INVALID_EXPIRY_POLICY", "expiry.roundToMonthEnd applies to the fixed policy only");
        (program.ExpiryPolicy, program.ExpiryMonths, program.ExpiryDays, program.ExpiryRoundToMonthEnd) =
            (policy, request.Months, request.Days, request.RoundToMonthEnd ?? false);
    }

    public static void ApplyReturns(LoyaltyProgram program, string? returns) =>
        program.ReturnPolicy = returns?.Trim().ToLowerInvariant() switch
        {
            "keep" => ReturnPolicy.Keep,
            "clawback" => ReturnPolicy.Clawback,
            _ => throw new LoyaltyException("INVALID_RETURN_POLICY", "returns must be keep (points earned stay after the return window) or clawback"),
        };
}
