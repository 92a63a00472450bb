using Loyalty.Chain.Expiry;
using Loyalty.Chain.Programs;

namespace Loyalty.Chain.Tests.Expiry;

public sealed class ExpiryRulesTests
{
    private static LoyaltyProgram Program(ExpiryPolicy policy, int? months = null, int? days = null, bool round = false, string zone = "UTC") =>
        new() { ExpiryPolicy = policy, ExpiryMonths = months, ExpiryDays = days, ExpiryRoundToMonthEnd = round, TimeZone = zone };

    private static DateTime Utc(int y, int m, int d, int h = 0) => new(y, m, d, h, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Fixed_Months_AreCalendarMonths_AndTheEndOfAShortMonthIsItsLastDay()
    {
        Assert.Equal(Utc(2027, 2, 28, 10), ExpiryRules.LotExpiry(Program(ExpiryPolicy.Fixed, months: 1), Utc(2027, 1, 31, 10)));
        Assert.Equal(Utc(2027, 12, 1, 10), ExpiryRules.LotExpiry(Program(ExpiryPolicy.Fixed, months: 12), Utc(2026, 12, 1, 10)));
    }

    [Fact]
    public void Fixed_Days_AddDays()
    {
        Assert.Equal(Utc(2026, 12, 31, 10), ExpiryRules.LotExpiry(Program(ExpiryPolicy.Fixed, days: 30), Utc(2026, 12, 1, 10)));
    }

    [Fact]
    public void RoundToMonthEnd_IsTheLastInstantOfThatMonth_InTheProgramsZone()
    {
        // Earned 15 Jan 2026 in Berlin, 12 months: 15 Jan 2027, rounded to 31 Jan 2027 23:59:59.9999999 Berlin = 22:59:59.9999999 UTC.
        var p = Program(ExpiryPolicy.Fixed, months: 12, round: true, zone: "Europe/Berlin");
        var expires = ExpiryRules.LotExpiry(p, Utc(2026, 1, 15, 12))!.Value;
        Assert.Equal(Utc(2027, 2, 1).AddHours(-1).AddTicks(-1), expires);
        // 31 Dec 23:30 UTC is already 1 Jan in Berlin: that local month counts.
        var lateNight = ExpiryRules.LotExpiry(Program(ExpiryPolicy.Fixed, months: 1, round: true, zone: "Europe/Berlin"), new DateTime(2026, 12, 31, 23, 30, 0, DateTimeKind.Utc))!.Value;
        Assert.Equal(Utc(2027, 3, 1).AddHours(-1).AddTicks(-1), lateNight);
    }

    [Fact]
    public void OnlyTheFixedPolicy_GivesLotsADate()
    {
        Assert.Null(ExpiryRules.LotExpiry(Program(ExpiryPolicy.None), Utc(2026, 1, 1)));
        Assert.Null(ExpiryRules.LotExpiry(Program(ExpiryPolicy.Inactivity, months: 6), Utc(2026, 1, 1)));
    }

    [Fact]
    public void Inactivity_ExpiresNMonthsAfterTheLastActivity_AndTheCutoffIsItsInverse()
    {
        var p = Program(ExpiryPolicy.Inactivity, months: 6);
        Assert.Equal(Utc(2027, 6, 10, 8), ExpiryRules.InactivityExpiry(p, Utc(2026, 12, 10, 8)));
        Assert.Equal(Utc(2026, 6, 1, 8), ExpiryRules.InactivityCutoff(p, Utc(2026, 12, 1, 8)));
        Assert.Equal(Utc(2026, 11, 21), ExpiryRules.InactivityCutoff(Program(ExpiryPolicy.Inactivity, days: 10), Utc(2026, 12, 1)));
    }

    [Fact]
    public void Policies_AreValidated_AndARefusalChangesNothing()
    {
        var p = Program(ExpiryPolicy.Fixed, months: 12, round: true);
        foreach (var (request, code) in new (ExpiryPolicyRequest, string)[]
                 {
                     (new("never", null, null, null), "INVALID_EXPIRY_POLICY"),
                     (new("fixed", null, null, null), "INVALID_EXPIRY_PERIOD"),
                     (new("fixed", 121, null, null), "INVALID_EXPIRY_PERIOD"),
                     (new("fixed", null, -1, null), "INVALID_EXPIRY_PERIOD"),
                     (new("none", 3, null, null), "INVALID_EXPIRY_POLICY"),
                     (new("inactivity", 3, null, true), "INVALID_EXPIRY_POLICY"),
                 })
        {
            var error = Assert.Throws<LoyaltyException>(() => ProgramPolicies.ApplyExpiry(p, request));
            Assert.Equal(code, error.Code);
            Assert.Equal((ExpiryPolicy.Fixed, 12, (int?)null, true), (p.ExpiryPolicy, p.ExpiryMonths, p.ExpiryDays, p.ExpiryRoundToMonthEnd));
        }
        Assert.Equal("INVALID_RETURN_POLICY", Assert.Throws<LoyaltyException>(() => ProgramPolicies.ApplyReturns(p, "sometimes")).Code);
    }
}
