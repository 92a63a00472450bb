using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Validation;

namespace Loyalty.Chain.Tests.Validation;

public sealed class AmountsAndIdsTests
{
    [Theory]
    [InlineData("10", 2, 1000)]
    [InlineData("10.5", 2, 1050)]
    [InlineData("0.01", 2, 1)]
    [InlineData("10.50", 2, 1050)]
    [InlineData("10.00", 0, 10)]
    [InlineData("007", 0, 7)]
    [InlineData("92233720368547758.07", 2, long.MaxValue)]
    public void PlainDecimal_ParsesToExactMinorUnits(string text, int decimals, long expected)
    {
        Assert.True(Amounts.TryParse(text, decimals, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("10.")]
    [InlineData(".5")]
    [InlineData("10\0")]
    [InlineData("1e3")]
    [InlineData("1E3")]
    [InlineData("0x10")]
    [InlineData("+10")]
    [InlineData("-10")]
    [InlineData(" 10")]
    [InlineData("10 ")]
    [InlineData("10\n")]
    [InlineData("1,000")]
    [InlineData("1_000")]
    [InlineData("١٠")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("10.001")]
    [InlineData("92233720368547758.08")]
    [InlineData("99999999999999999999999999999999")]
    public void AnythingElse_IsRefused(string? text) => Assert.False(Amounts.TryParse(text, 2, out _));

    [Theory]
    [InlineData("x")]
    [InlineData("member-1")]
    [InlineData("a.b_c:d@e-f")]
    public void Ids_OfTheOnePattern_AreAccepted(string id) => Assert.True(Ids.IsValid(id));

    [Theory]
    [InlineData("x\n")]
    [InlineData("x\r\n")]
    [InlineData("\nx")]
    [InlineData("x y")]
    [InlineData("-x")]
    [InlineData("")]
    [InlineData("x\0")]
    [InlineData("é")]
    public void Ids_WithNewlinesOrOtherCharacters_AreRefused(string id) => Assert.False(Ids.IsValid(id));

    [Fact]
    public void Ids_AreAtMost128Characters()
    {
        Assert.True(Ids.IsValid(new string('a', 128)));
        Assert.False(Ids.IsValid(new string('a', 129)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a b")]
    [InlineData("k\n")]
    [InlineData("é")]
    public void IdempotencyKey_EmptySpacedOrNonAscii_IsInvalid(string key) =>
        Assert.Equal("INVALID_IDEMPOTENCY_KEY", Assert.Throws<LoyaltyException>(() => IdempotencyStore.ValidateKey(key)).Code);

    [Fact]
    public void IdempotencyKey_Over200Characters_IsInvalid_AndNoKeyIsNoKey()
    {
        Assert.Equal(new string('k', 200), IdempotencyStore.ValidateKey(new string('k', 200)));
        Assert.Throws<LoyaltyException>(() => IdempotencyStore.ValidateKey(new string('k', 201)));
        Assert.Null(IdempotencyStore.ValidateKey(null));
    }

    [Fact]
    public void RequestHash_CoversMethodPathAndBody()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var hash = IdempotencyStore.Hash("POST", "/v1/programs/1/redemptions/5/cancel", body);
        Assert.Equal(hash, IdempotencyStore.Hash("post", "/v1/programs/1/redemptions/5/cancel", body));
        Assert.NotEqual(hash, IdempotencyStore.Hash("POST", "/v1/programs/1/redemptions/6/cancel", body));
        Assert.NotEqual(hash, IdempotencyStore.Hash("POST", "/v1/programs/1/redemptions/5/cancel", "{\"a\":2}"u8.ToArray()));
    }
}
