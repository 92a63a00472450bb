using Loyalty.Chain.Referrals;

namespace Loyalty.Chain.Tests.Referrals;

public sealed class ReferralCodesTests
{
    [Fact]
    public void NewCodes_AreEightCrockfordCharacters_AndRandom()
    {
        var codes = Enumerable.Range(0, 2000).Select(_ => ReferralCodes.New()).ToList();
        Assert.All(codes, c => Assert.Matches(@"\A[0-9A-HJKMNP-TV-Z]{8}\z", c));
        Assert.True(codes.Distinct().Count() > 1990);
    }

    [Theory]
    [InlineData("k7m2-9qxd", "K7M29QXD")]
    [InlineData(" K7M2 9QXD ", "K7M29QXD")]
    [InlineData("oi1l-abcd", "0111ABCD")]
    public void Normalize_IgnoresCaseDashesAndSpaces_AndReadsLookAlikes(string input, string expected) =>
        Assert.Equal(expected, ReferralCodes.Normalize(input));

    [Theory]
    [InlineData("K7M29QX")]
    [InlineData("K7M29QXDE")]
    [InlineData("K7M2_9QX")]
    [InlineData("K7M29QXU")]
    [InlineData("K7M29QX\n")]
    [InlineData("")]
    public void Normalize_RefusesWhatCannotBeACode(string input) => Assert.Null(ReferralCodes.Normalize(input));
}

public sealed class ReferralFraudTests
{
    private static ReferralFraud.Side Side(long id, string? email = null, string? phone = null, params string?[] wallets) => new(id, email, phone, wallets);

    [Fact]
    public void SameMember_IsSelfReferral() => Assert.Equal("SELF_REFERRAL", ReferralFraud.Refusal(Side(1), Side(1)));

    [Fact]
    public void SameEmail_IgnoringCaseAndSpaces() =>
        Assert.Equal("SAME_EMAIL", ReferralFraud.Refusal(Side(1, "A@Example.com"), Side(2, "  a@example.COM ")));

    [Fact]
    public void SamePhone_DigitsOnly() =>
        Assert.Equal("SAME_PHONE", ReferralFraud.Refusal(Side(1, phone: "+33 6 12 34"), Side(2, phone: "(33) 6-12-34")));

    [Fact]
    public void SameWallet_EitherAddress() =>
        Assert.Equal("SAME_WALLET", ReferralFraud.Refusal(Side(1, wallets: ["0xAB", "0xcd"]), Side(2, wallets: ["0xab", null])));

    [Fact]
    public void DifferentPeople_AndMissingFields_AreNotRefused() =>
        Assert.Null(ReferralFraud.Refusal(Side(1, null, "", "0x1"), Side(2, null, "", "0x2")));
}

public sealed class ReferralPolicyRulesTests
{
    private static ReferralPolicy Policy(long? min = null) => new() { QualifyingEventTypes = ["purchase"], MinAmount = min };

    [Fact]
    public void Qualifies_OnTypeAndMinimum()
    {
        Assert.True(ReferralPolicyRules.Qualifies(Policy(), "purchase", null));
        Assert.False(ReferralPolicyRules.Qualifies(Policy(), "review", 5000));
        Assert.True(ReferralPolicyRules.Qualifies(Policy(2000), "purchase", 2000));
        Assert.False(ReferralPolicyRules.Qualifies(Policy(2000), "purchase", 1999));
        Assert.False(ReferralPolicyRules.Qualifies(Policy(2000), "purchase", null));
    }

    [Fact]
    public void StillQualifies_UnlessFullyReturnedOrBelowTheMinimum()
    {
        Assert.True(ReferralPolicyRules.StillQualifies(Policy(), 3000, 2999));
        Assert.False(ReferralPolicyRules.StillQualifies(Policy(), 3000, 3000));
        Assert.True(ReferralPolicyRules.StillQualifies(Policy(2000), 3000, 1000));
        Assert.False(ReferralPolicyRules.StillQualifies(Policy(2000), 3000, 1001));
    }

    [Fact]
    public void Parse_DefaultsToPurchases_AndCollectsEveryProblem()
    {
        var p = ReferralPolicyRules.Parse(new(null, null, null, null, null, new("50", null), new("0", null)), 1000);
        Assert.Equal(["purchase"], p.QualifyingEventTypes);
        Assert.True(p.Active);
        Assert.Equal(50, p.ReferrerPoints);
        var error = Assert.Throws<LoyaltyException>(() =>
            ReferralPolicyRules.Parse(new(null, ["return", null], "x", 0, 0, new("1001", -1), null), 1000));
        Assert.Equal("INVALID_REFERRAL_POLICY", error.Code);
        foreach (var field in new[] { "qualifyingEventTypes", "minAmount", "qualifyWithinDays", "monthlyCapPerReferrer", "referrerReward.points", "referrerReward.dropId", "refereeReward" })
            Assert.Contains(field, error.Message);
    }
}
