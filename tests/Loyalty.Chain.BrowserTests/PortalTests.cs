using System.Diagnostics;
using System.Net;
using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.BrowserTests.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;
using Xunit.Abstractions;

namespace Loyalty.Chain.BrowserTests;

/// <summary>The portal's host: the browser may read balanceOf from the node, and a linked wallet waits a short cool-off.</summary>
public sealed class PortalFixture : WebHostFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Web:NodeRpcUrl"] = Chain.Chain.Node.RpcUrl,
        ["Wallets:WithdrawalCoolOff"] = "00:00:03",
    };
}

/// <summary>
/// The member portal as a member uses it, in Chromium against the real host, node and database: sign-in by link,
/// balance, redeeming with the code and its QR, a wallet linked through an injected EIP-1193 provider that signs
/// with a test key, a withdrawal checked on the node, a self-custody burn signature, SIWE sign-in, three languages,
/// axe on every view at phone and desktop size, and sign-out.
/// </summary>
public sealed class PortalTests(PortalFixture f, ITestOutputHelper output) : IClassFixture<PortalFixture>
{
    private static readonly string[] Views = ["home", "rewards", "collection", "wallet"];

    private async Task<string> MemberWithPointsAsync(string member, int points)
    {
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        var trigger = "portal-grant-" + member;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = trigger, trigger, effect = new { kind = "Fixed", points } });
        var posted = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = trigger + "-1" });
        Assert.True(posted.Status is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.Created, posted.Body?.ToString());
        var token = (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        return token;
    }

    private async Task<long> RewardAsync(string name, string cost) =>
        (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name, cost })).Body!["id"]!.GetValue<long>();

    private async Task<BigInteger> OnChainAsync(string address) =>
        await new Nethereum.Web3.Web3(f.Chain.Chain.Node.RpcUrl).Eth.ERC20.GetContractService(f.PointsContract).BalanceOfQueryAsync(address);

    private async Task<bool> EventuallyOnChainAsync(string member, string expected) => await LoyaltyApi.EventuallyAsync(async () =>
        (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["onChain"]!.GetValue<string>() == expected, TimeSpan.FromSeconds(90));

    private static async Task SignInByLinkAsync(IPage page, string token)
    {
        await page.GotoAsync("/portal/#token=" + token);
        await page.GetByTestId("available").WaitForAsync();
    }

    private static Task OpenAsync(IPage page, string view, string label) =>
        page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = label, Exact = true }).ClickAsync();

    [Fact]
    public async Task Member_SignsInByLink_RedeemsAndSeesCodeAndQr_SwitchesLanguage_PassesAxeEverywhere_AndSignsOut()
    {
        const string member = "portal-ana";
        var token = await MemberWithPointsAsync(member, 12345);
        await RewardAsync("Free coffee", "100");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>() == "12345", TimeSpan.FromSeconds(30)));

        var page = await f.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        var clock = Stopwatch.StartNew();
        await SignInByLinkAsync(page, token);
        clock.Stop();
        output.WriteLine($"time to first rendered balance (390x844, cold): {clock.ElapsedMilliseconds} ms");

        // The token left the address bar and history at once and was never stored; the session is an HttpOnly cookie.
        Assert.DoesNotContain("token", page.Url);
        Assert.DoesNotContain("lcm_", await page.EvaluateAsync<string>("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie"));
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "lc_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        Assert.Contains("12,345", await page.GetByTestId("available").InnerTextAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-home-mobile.png") });

        await OpenAsync(page, "rewards", "Rewards");
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeem Free coffee" }).ClickAsync();
        var code = page.GetByTestId("coupon-code");
        await code.WaitForAsync(new() { Timeout = 60_000 });
        var couponCode = (await code.InnerTextAsync()).Trim();
        Assert.False(string.IsNullOrWhiteSpace(couponCode));
        var qr = page.GetByTestId("coupon-qr");
        await qr.WaitForAsync();
        Assert.StartsWith("data:image/png", await qr.GetAttributeAsync("src"));
        Assert.True(await qr.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
        // The code on the page is the one the till would accept.
        var validated = await f.Api.PostAsync(f.P($"/coupons/{Uri.EscapeDataString(couponCode)}/validate"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, validated.Status);
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-redeem-mobile.png"), FullPage = false });

        foreach (var (view, label) in new[] { ("collection", "Collection"), ("wallet", "My wallet"), ("home", "Home") })
        {
            await OpenAsync(page, view, label);
            await page.Locator("main h2").First.WaitForAsync();
            await Axe.AssertNoSeriousViolationsAsync(page);
        }

        // Language switch: the words and the number formats follow the locale.
        await page.GetByLabel("Language").SelectOptionAsync("pl");
        await page.GetByRole(AriaRole.Link, new() { Name = "Nagrody" }).WaitForAsync();
        Assert.Equal("pl", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        var polish = await page.GetByTestId("available").InnerTextAsync();
        Assert.DoesNotContain("12,345", polish);
        Assert.Matches(@"12\s245", polish); // 12,345 less the 100 redeemed, grouped the Polish way
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.GetByLabel("Język").SelectOptionAsync("ru");
        await page.GetByRole(AriaRole.Link, new() { Name = "Награды" }).WaitForAsync();
        Assert.Matches(@"12\s245", await page.GetByTestId("available").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-home-mobile-ru.png") });
        await page.GetByLabel("Язык").SelectOptionAsync("en");
        await page.GetByRole(AriaRole.Link, new() { Name = "Rewards" }).WaitForAsync();

        // Desktop: the same views pass axe at 1280x800.
        var desktop = await f.NewPageAsync(1280, 800);
        await SignInByLinkAsync(desktop, token);
        await desktop.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-home-desktop.png") });
        await Axe.AssertNoSeriousViolationsAsync(desktop);
        foreach (var (view, label) in new[] { ("rewards", "Rewards"), ("collection", "Collection"), ("wallet", "My wallet") })
        {
            await OpenAsync(desktop, view, label);
            await desktop.Locator("main h2").First.WaitForAsync();
            await Axe.AssertNoSeriousViolationsAsync(desktop);
            if (view == "rewards") await desktop.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-rewards-desktop.png") });
        }
        await desktop.Context.CloseAsync();

        // Sign-out ends the session on the server: the same cookie no longer opens anything.
        var sessionCookie = cookie.Value;
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByText("You are signed out.").WaitForAsync();
        await Axe.AssertNoSeriousViolationsAsync(page);
        var replay = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{member}"));
        replay.Headers.Add("Cookie", "lc_session=" + sessionCookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Api.Http.SendAsync(replay)).StatusCode);
        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" }).WaitForAsync();

        Assert.Empty(f.ExternalRequests);
        Assert.True(errors.All(e => e.Contains("401")), "console errors: " + string.Join("\n", errors));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Home_ShowsPendingPointsWithTheDateEachBecomesAvailable()
    {
        const string member = "portal-pending";
        // A return window for this member's earning only (new earnings take the period; set back afterwards).
        Assert.Equal(HttpStatusCode.OK, (await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { pendingPeriodSeconds = 3 * 86400 })).Status);
        string token;
        try { token = await MemberWithPointsAsync(member, 37); }
        finally { await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { pendingPeriodSeconds = 0 }); }
        var lot = Assert.Single((await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["pendingLots"]!.AsArray())!;
        var availableAt = lot["availableAt"]!.GetValue<DateTime>().ToLocalTime();

        var page = await f.NewPageAsync();
        await SignInByLinkAsync(page, token);
        var line = await page.GetByTestId("pending-lot").InnerTextAsync();
        Assert.Matches($@"^37 pending, available on \D*{availableAt.Day}\D.*{availableAt.Year}$", line.Trim());
        await page.GetByLabel("Language").SelectOptionAsync("pl");
        await page.GetByTestId("pending-lot").Filter(new() { HasText = "37 oczekuje, dostępne od" }).WaitForAsync();
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.GetByLabel("Język").SelectOptionAsync("en");
        await page.Context.CloseAsync();

        // The instant has passed (the browser's clock is an hour past it) but the maturation pass has not released the
        // points yet: the page says they are becoming available, never "available on" a date in the past.
        var late = await f.NewPageAsync();
        await late.Clock.SetFixedTimeAsync(availableAt.AddHours(1));
        await SignInByLinkAsync(late, (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>());
        Assert.Equal("37 becoming available now", (await late.GetByTestId("pending-lot").InnerTextAsync()).Trim());
        await late.GetByLabel("Language").SelectOptionAsync("ru");
        await late.GetByTestId("pending-lot").Filter(new() { HasText = "37 становится доступно прямо сейчас" }).WaitForAsync();
        await late.GetByLabel("Язык").SelectOptionAsync("en");
        await late.Context.CloseAsync();
    }

    [Fact]
    public async Task BlockedMember_SeesTheBlockReason_InsteadOfACatalogOfDisabledRewards()
    {
        const string member = "portal-blocked";
        var token = await MemberWithPointsAsync(member, 50);
        await RewardAsync("Blocked biscuit", "10");
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P($"/members/{member}/block"), f.AdminKey, new { reason = "chargeback under review" })).Status);

        var page = await f.NewPageAsync();
        await SignInByLinkAsync(page, token);
        Assert.Contains("chargeback under review", await page.GetByTestId("blocked").InnerTextAsync());
        await OpenAsync(page, "rewards", "Rewards");
        var notice = page.Locator("#catalog-title ~ [data-testid=blocked]");
        await notice.WaitForAsync();
        Assert.Equal("Your account is blocked: chargeback under review. Rewards cannot be redeemed until the brand lifts the block.",
            (await notice.InnerTextAsync()).Trim());
        Assert.Equal(0, await page.GetByTestId("catalog-item").CountAsync());
        await page.GetByLabel("Language").SelectOptionAsync("pl");
        await notice.Filter(new() { HasText = "Twoje konto jest zablokowane: chargeback under review" }).WaitForAsync();
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.GetByLabel("Język").SelectOptionAsync("en");
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-blocked-mobile.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Rewards_ListTheMembersCatalog_WithTheYouCanAffordMark_AndWithoutAnotherSegmentsReward()
    {
        const string member = "portal-catalog";
        var token = await MemberWithPointsAsync(member, 50);
        await RewardAsync("Green tea", "40");
        await RewardAsync("Teapot", "400");
        var segment = await f.Api.PostAsync(f.P("/segments"), f.AdminKey,
            new { name = "portal nobody", definition = new { attributes = new Dictionary<string, string> { ["club"] = "nobody-" + Guid.NewGuid().ToString("N") } } });
        await f.Api.PostAsync(f.P("/rewards"), f.AdminKey,
            new { type = "FreeProduct", name = "Members-only scone", cost = "1", segmentId = segment.Body!["id"]!.GetValue<long>() });

        var page = await f.NewPageAsync();
        await SignInByLinkAsync(page, token);
        await OpenAsync(page, "rewards", "Rewards");
        var tea = page.GetByTestId("catalog-item").Filter(new() { HasText = "Green tea" });
        await tea.GetByTestId("afford").Filter(new() { HasText = "You can afford this" }).WaitForAsync();
        Assert.True(await tea.GetByRole(AriaRole.Button, new() { Name = "Redeem Green tea" }).IsEnabledAsync());
        var teapot = page.GetByTestId("catalog-item").Filter(new() { HasText = "Teapot" });
        Assert.Equal("350 more points needed", (await teapot.GetByTestId("afford").InnerTextAsync()).Trim());
        Assert.False(await teapot.GetByRole(AriaRole.Button, new() { Name = "Redeem Teapot" }).IsEnabledAsync());
        Assert.Equal(0, await page.GetByTestId("catalog-item").Filter(new() { HasText = "Members-only scone" }).CountAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.Context.CloseAsync();
    }

    /// <summary>A MetaMask-style provider in the page whose signatures come from a test key held by this test (Nethereum).</summary>
    private static async Task InjectWalletAsync(IPage page, EthECKey key)
    {
        var address = key.GetPublicAddress();
        await page.ExposeFunctionAsync("lcTestWalletSign", (string method, string paramsJson) =>
        {
            var parameters = JsonDocument.Parse(paramsJson).RootElement;
            return method switch
            {
                "personal_sign" => new EthereumMessageSigner().Sign(parameters[0].GetString()!.HexToByteArray(), key),
                "eth_signTypedData_v4" => new Eip712TypedDataSigner().SignTypedDataV4(parameters[1].GetString()!, key),
                _ => throw new InvalidOperationException("unsupported " + method),
            };
        });
        await page.AddInitScriptAsync($$"""
            window.ethereum = {
              isMetaMask: false,
              async request({ method, params }) {
                if (method === "eth_requestAccounts" || method === "eth_accounts") return ["{{address}}"];
                if (method === "eth_chainId") return "0x7a69";
                return await window.lcTestWalletSign(method, JSON.stringify(params || []));
              },
            };
            """);
    }

    [Fact]
    public async Task Member_LinksAWallet_Withdraws_VerifiesOnChain_SignsASelfCustodyBurn_AndSignsInWithEthereum()
    {
        const string member = "portal-wallet";
        var token = await MemberWithPointsAsync(member, 40);
        await RewardAsync("Cake", "10");
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.True(await EventuallyOnChainAsync(member, "40"), "the points were not settled to the custodial wallet");

        var key = EthECKey.GenerateKey();
        var address = key.GetPublicAddress();
        var page = await f.NewPageAsync();
        await InjectWalletAsync(page, key);
        await SignInByLinkAsync(page, token);
        await OpenAsync(page, "wallet", "My wallet");
        await page.GetByRole(AriaRole.Button, new() { Name = "Link my wallet" }).ClickAsync();
        await page.GetByText("Wallet linked.").WaitForAsync();
        await page.GetByTestId("wallet-kind").Filter(new() { HasText = "Your own wallet" }).WaitForAsync();
        var linked = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!;
        Assert.Equal(address.ToLowerInvariant(), linked["walletAddress"]!.GetValue<string>().ToLowerInvariant());
        Assert.Equal("SelfCustody", linked["walletKind"]!.GetValue<string>());

        await page.GetByRole(AriaRole.Button, new() { Name = "Withdraw to my wallet" }).ClickAsync();
        await page.GetByTestId("wallet-notice").Filter(new() { HasText = "nothing moves before" }).WaitForAsync();
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("portal-wallet-mobile.png") });
        // The node, not the page, is the judge: after the cool-off the points are in the member's own wallet.
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await OnChainAsync(address) == 40, TimeSpan.FromSeconds(120)),
            "the withdrawal did not reach the linked wallet");

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify on chain" }).ClickAsync();
        await page.GetByTestId("wallet-notice").Filter(new() { HasText = "The chain says: 40 points" }).WaitForAsync();

        // Self-custody redemption: the member signs the EIP-712 burn in the wallet; the chain burns exactly the cost.
        await OpenAsync(page, "rewards", "Rewards");
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeem Cake" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign the redemption" }).ClickAsync();
        await page.GetByText("Signed. The points are burnt on chain shortly.").WaitForAsync();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await OnChainAsync(address) == 30, TimeSpan.FromSeconds(120)),
            "the signed burn did not reach the chain");
        await page.GetByTestId("coupon-code").WaitForAsync(new() { Timeout = 60_000 });

        // Sign out, then back in with the linked wallet (SIWE).
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByText("You are signed out.").WaitForAsync();
        await page.GotoAsync($"/portal/?program={f.ProgramId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Ethereum" }).ClickAsync();
        await page.GetByTestId("available").WaitForAsync();
        var method = await page.EvaluateAsync<string>("() => fetch('/v1/member-sessions/current').then(r => r.json()).then(s => s.method + ':' + s.memberId)");
        Assert.Equal("siwe:" + member, method);
        Assert.Empty(f.ExternalRequests);
        await page.Context.CloseAsync();
    }
}
