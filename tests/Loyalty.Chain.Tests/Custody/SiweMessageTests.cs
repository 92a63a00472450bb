using Loyalty.Chain.Custody;

namespace Loyalty.Chain.Tests.Custody;

public sealed class SiweMessageTests
{
    private const string Full =
        "https://shop.example.com wants you to sign in with your Ethereum account:\n" +
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n" +
        "\n" +
        "Link this wallet to your loyalty account.\n" +
        "\n" +
        "URI: https://shop.example.com/wallet\n" +
        "Version: 1\n" +
        "Chain ID: 31337\n" +
        "Nonce: abcDEF123456789xyz\n" +
        "Issued At: 2025-03-01T12:00:00Z\n" +
        "Expiration Time: 2025-03-01T12:10:00.5Z\n" +
        "Not Before: 2025-03-01T11:59:00Z\n" +
        "Request ID: req-42\n" +
        "Resources:\n" +
        "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n" +
        "- https://example.com/my-web2-claim.json";

    [Fact]
    public void Parse_OfAMessageWithEveryField_ReadsEachField()
    {
        var message = SiweMessage.Parse(Full);

        Assert.Equal("https", message.Scheme);
        Assert.Equal("shop.example.com", message.Domain);
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", message.Address);
        Assert.Equal("Link this wallet to your loyalty account.", message.Statement);
        Assert.Equal(31337, message.ChainId);
        Assert.Equal("abcDEF123456789xyz", message.Nonce);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 12, 10, 0, 500, TimeSpan.Zero), message.ExpirationTime);
        Assert.Equal("req-42", message.RequestId);
        Assert.Equal(2, message.Resources.Count);
    }

    [Fact]
    public void ToString_OfAParsedCanonicalMessage_ReproducesTheTextExactly()
    {
        Assert.Equal(Full, SiweMessage.Parse(Full).ToString());
    }

    [Fact]
    public void ToString_WithoutStatementOrOptionalFields_LeavesTwoBlankLinesAsTheGrammarSays()
    {
        var message = new SiweMessage
        {
            Domain = "localhost:3000",
            Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            Uri = "http://localhost:3000",
            ChainId = 1,
            Nonce = "12345678",
            IssuedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
        };

        Assert.Equal(
            "localhost:3000 wants you to sign in with your Ethereum account:\n" +
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n\n\n" +
            "URI: http://localhost:3000\nVersion: 1\nChain ID: 1\nNonce: 12345678\nIssued At: 2025-01-02T01:04:05Z",
            message.ToString());
        Assert.Null(SiweMessage.Parse(message.ToString()).Statement);
    }

    [Theory]
    [InlineData("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")] // not EIP-55
    [InlineData("Version: 1\n", "")]
    [InlineData("Version: 1", "Version: 2")]
    [InlineData("Nonce: abcDEF123456789xyz", "Nonce: abc123")]
    [InlineData("Nonce: abcDEF123456789xyz", "Nonce: abc-DEF-123456")]
    [InlineData("Chain ID: 31337", "Chain ID: 0x7a69")]
    [InlineData("Issued At: 2025-03-01T12:00:00Z", "Issued At: 2025/03/01 12:00")]
    [InlineData("URI: https://shop.example.com/wallet", "URI: not a uri")]
    [InlineData(" wants you to sign in", " wants you to log in")]
    [InlineData("\n", "\r\n")]
    [InlineData("account.\n\nURI", "account.\nURI")]
    [InlineData("my-web2-claim.json", "my-web2-claim.json\nP.S. trailing text")]
    public void Parse_OfAMalformedMessage_ThrowsFormatException(string find, string replace)
    {
        Assert.Throws<FormatException>(() => SiweMessage.Parse(Full.Replace(find, replace)));
    }
}
