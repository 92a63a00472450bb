using System.Text.RegularExpressions;
using Loyalty.Chain.Validation;

namespace Loyalty.Chain.Referrals;

public sealed record ReferralRewardRequest(string? Points, long? DropId);

public sealed record ReferralPolicyRequest(bool? Active, List<string?>? QualifyingEventTypes, string? MinAmount, int? QualifyWithinDays,
    int? MonthlyCapPerReferrer, ReferralRewardRequest? ReferrerReward, ReferralRewardRequest? RefereeReward);

public sealed record ReferralRewardView(string Points, long? DropId);

public sealed record ReferralPolicyView(bool Active, IReadOnlyList<string> QualifyingEventTypes, string? MinAmount, int? QualifyWithinDays,
    int? MonthlyCapPerReferrer, ReferralRewardView ReferrerReward, ReferralRewardView RefereeReward, DateTime UpdatedAt)
{
    public static ReferralPolicyView From(ReferralPolicy p) => new(p.Active, p.QualifyingEventTypes, p.MinAmount?.ToString(), p.QualifyWithinDays,
        p.MonthlyCapPerReferrer, new(p.ReferrerPoints.ToString(), p.ReferrerDropId), new(p.RefereePoints.ToString(), p.RefereeDropId), p.UpdatedAt);
}

/// <summary>The pure part of a policy: validating a request, and which purchases qualify (before and after a return).</summary>
public static partial class ReferralPolicyRules
{
    public const int MaxEventTypes = 20;
    public const int MaxDays = 3650;
    public const int MaxMonthlyCap = 100_000;

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,63}\z")]
    private static partial Regex TypePattern();

    /// <summary>The policy a request describes, or INVALID_REFERRAL_POLICY with every problem (drops are checked by the caller).</summary>
    public static ReferralPolicy Parse(ReferralPolicyRequest? r, long maxPoints)
    {
        if (r is null) throw Invalid("a policy body is required");
        var errors = new List<string>();
        var types = r.QualifyingEventTypes ?? ["purchase"];
        if (types.Count is 0 or > MaxEventTypes) errors.Add($"qualifyingEventTypes needs 1..{MaxEventTypes} event types");
        if (types.Any(t => t is null || !TypePattern().IsMatch(t))) errors.Add("qualifyingEventTypes items are lower-case event types such as 'purchase'");
        if (types.Any(t => t == "return")) errors.Add("a return cannot qualify a referral");
        long? minAmount = null;
        if (r.MinAmount is not null)
        {
            if (Amounts.TryParsePoints(r.MinAmount, out var min) && min >= 0) minAmount = min;
            else errors.Add("minAmount is a whole number of minor units as a decimal string, e.g. \"2000\" for 20.00");
        }
        if (r.QualifyWithinDays is < 1 or > MaxDays) errors.Add($"qualifyWithinDays is 1..{MaxDays}");
        if (r.MonthlyCapPerReferrer is < 1 or > MaxMonthlyCap) errors.Add($"monthlyCapPerReferrer is 1..{MaxMonthlyCap}");
        var referrer = Reward(r.ReferrerReward, "referrerReward", maxPoints, errors);
        var referee = Reward(r.RefereeReward, "refereeReward", maxPoints, errors);
        if (errors.Count > 0) throw Invalid(string.Join(" ", errors));
        return new ReferralPolicy
        {
            Active = r.Active ?? true, QualifyingEventTypes = types.Distinct().ToList()!, MinAmount = minAmount,
            QualifyWithinDays = r.QualifyWithinDays, MonthlyCapPerReferrer = r.MonthlyCapPerReferrer,
            ReferrerPoints = referrer.Points, ReferrerDropId = referrer.DropId, RefereePoints = referee.Points, RefereeDropId = referee.DropId,
        };
    }

    private static (long Points, long? DropId) Reward(ReferralRewardRequest? reward, string field, long maxPoints, List<string> errors)
    {
        if (reward is null)
        {
            errors.Add($"{field} is required: {{\"points\":\"50\",\"dropId\":null}}");
            return (0, null);
        }
        if (!Amounts.TryParsePoints(reward.Points, out var points) || points < 0 || points > maxPoints)
            errors.Add($"{field}.points is a whole number 0..{maxPoints} as a decimal string");
        if (reward.DropId is <= 0) errors.Add($"{field}.dropId is a drop id");
        return (points, reward.DropId);
    }

    private static LoyaltyException Invalid(string message) => new("INVALID_REFERRAL_POLICY", message, 400);

    /// <summary>Whether an event of the referee qualifies the referral: a qualifying type, and at least the minimum amount.</summary>
    public static bool Qualifies(ReferralPolicy policy, string type, long? amount) =>
        policy.QualifyingEventTypes.Contains(type) && (policy.MinAmount is not { } min || (amount ?? 0) >= min);

    /// <summary>
    /// After a return, the qualifying purchase still qualifies when something of it is left and what is left is at least
    /// the minimum amount. A fully returned purchase never does (even with no minimum).
    /// </summary>
    public static bool StillQualifies(ReferralPolicy policy, long amount, long refunded)
    {
        var left = amount - refunded;
        return left > 0 && (policy.MinAmount is not { } min || left >= min);
    }
}
