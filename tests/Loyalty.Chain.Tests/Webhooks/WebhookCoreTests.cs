using System.Net;
using Loyalty.Chain.Webhooks;

namespace Loyalty.Chain.Tests.Webhooks;

public sealed class WebhookCoreTests
{
    [Fact]
    public void Signature_EqualsTheReferenceAlgorithm_ForEverySecret()
    {
        var (a, b) = (WebhookSigner.NewSecret(), WebhookSigner.NewSecret());
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var header = WebhookSigner.SignatureHeader([a, b], "msg_1", at, """{"type":"points.earned"}""");
        Assert.Equal($"{WebhookSigner.Reference(a, "msg_1", 1_700_000_000, """{"type":"points.earned"}""")} " +
                     WebhookSigner.Reference(b, "msg_1", 1_700_000_000, """{"type":"points.earned"}"""), header);
        Assert.StartsWith("whsec_", a);
        Assert.NotEqual(header, WebhookSigner.SignatureHeader([a, b], "msg_1", at, """{"type":"points.earnee"}"""));
    }

    [Theory]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd12::1", "private")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("100.64.0.1", "shared (CGNAT)")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("8.8.8.8", "public")]
    [InlineData("2606:4700::1111", "public")]
    public void AddressClasses_AreNamed(string ip, string expected) => Assert.Equal(expected, WebhookUrlGuard.Describe(IPAddress.Parse(ip)));

    [Fact]
    public void Loopback_IsAllowedOnlyWhenConfigured()
    {
        Assert.False(WebhookUrlGuard.IsAllowed(IPAddress.Loopback, new WebhookOptions()));
        Assert.True(WebhookUrlGuard.IsAllowed(IPAddress.Loopback, new WebhookOptions { AllowLoopbackHttp = true }));
        Assert.False(WebhookUrlGuard.IsAllowed(IPAddress.Parse("10.0.0.1"), new WebhookOptions { AllowLoopbackHttp = true }));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/x", WebhookUrlGuard.SchemeRefused)]
    [InlineData("https://localhost/x", WebhookUrlGuard.AddressRefused)]
    [InlineData("https://10.0.0.1/x", WebhookUrlGuard.AddressRefused)]
    [InlineData("https://[::ffff:192.168.0.1]/x", WebhookUrlGuard.AddressRefused)]
    [InlineData("https://a:b@example.com/x", WebhookUrlGuard.InvalidUrl)]
    public void UnsafeUrls_AreRefused_WithoutTheDevelopmentFlag(string url, string code) =>
        Assert.Equal(code, Assert.Throws<LoyaltyException>(() => WebhookUrlGuard.Validate(url, new WebhookOptions())).Code);

    [Fact]
    public void HttpsToAPublicName_IsAccepted() => Assert.Equal("https://example.com/hook", WebhookUrlGuard.Validate("https://example.com/hook", new WebhookOptions()).AbsoluteUri);

    [Fact]
    public async Task ConnectTime_RefusesANameResolvingToLoopback()
    {
        var context = typeof(SocketsHttpConnectionContext);
        // "localhost" stands for a rebinding name: whatever the URL check saw, the address connected to is checked again.
        var ex = await Assert.ThrowsAsync<WebhookRefusedException>(async () =>
            await WebhookUrlGuard.ConnectToAsync(new DnsEndPoint("localhost", 443), new WebhookOptions(), CancellationToken.None));
        Assert.Equal(WebhookUrlGuard.AddressRefused, ex.Code);
        Assert.NotNull(context);
    }

    [Fact]
    public void Backoff_GrowsExponentially_WithJitter_AndSpansTheWholeWindow()
    {
        var o = new WebhookOptions();
        Assert.InRange(WebhookBackoff.Delay(1, o, 0.5).TotalSeconds, 4.99, 5.01);
        Assert.InRange(WebhookBackoff.Delay(3, o, 0.5).TotalSeconds, 19.99, 20.01);
        Assert.InRange(WebhookBackoff.Delay(3, o, 0).TotalSeconds, 15.99, 16.01);
        Assert.InRange(WebhookBackoff.Delay(3, o, 1).TotalSeconds, 23.99, 24.01);
        Assert.Equal(o.RetryCap.TotalSeconds, WebhookBackoff.Delay(40, o, 0.5).TotalSeconds, 3);
        var created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var (now, attempts) = (created, 0);
        while (WebhookBackoff.Next(created, now, ++attempts, o, 0.5) is { } next) now = next;
        Assert.True(now - created >= TimeSpan.FromHours(24), $"retried for {now - created}");
        Assert.InRange(attempts, 10, 40);
    }

    [Fact]
    public void Catalog_HasAtLeastTwentyTypes_EachWithAnExample_NoPersonalData()
    {
        Assert.True(WebhookEventCatalog.All.Count >= 20);
        foreach (var t in WebhookEventCatalog.All)
        {
            var json = t.Example.ToJsonString();
            Assert.DoesNotContain("email", json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("phone", json, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("programId", json);
        }
    }
}
