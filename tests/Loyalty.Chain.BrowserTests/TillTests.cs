using System.Net;
using Loyalty.Chain.BrowserTests.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Loyalty.Chain.BrowserTests;

/// <summary>The till on a phone: a shop key opens it, a coupon is checked, used once and refused the second time; a purchase is recorded.</summary>
public sealed class TillTests(WebHostFixture f) : IClassFixture<WebHostFixture>
{
    private async Task<string> ShopKeyAsync() =>
        (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "till" })).Body!["key"]!.GetValue<string>();

    /// <summary>A member earns and redeems a coupon reward through the API; returns (member, code).</summary>
    private async Task<(string Member, string Code)> CouponAsync()
    {
        var trigger = "till_gift_" + Guid.NewGuid().ToString("N")[..6];
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger, effect = new { kind = "Fixed", points = 10 } });
        var member = "till-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = "g-" + member });
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "Free cookie", cost = "5", couponValidDays = 30 });
        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() });
        Assert.True(redeemed.Status == HttpStatusCode.Created, redeemed.Body?.ToJsonString());
        return (member, redeemed.Body!["couponCode"]!.GetValue<string>());
    }

    private async Task<IPage> OpenAsync(string key)
    {
        var page = await f.NewPageAsync();
        await page.GotoAsync("/till/");
        await page.GetByLabel("Shop key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the till" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Coupon" }).WaitForAsync();
        return page;
    }

    [Fact]
    public async Task AShop_ChecksACoupon_UsesIt_AndTheSecondTimeItIsRefused()
    {
        var (member, code) = await CouponAsync();
        var page = await OpenAsync(await ShopKeyAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
        await page.GetByLabel("Coupon code").FillAsync(code.ToLowerInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        var verdict = page.Locator(".verdict");
        await Assertions.Expect(verdict.Locator(".verdict-label")).ToHaveTextAsync("Valid");
        Assert.Contains("Free cookie", await verdict.InnerTextAsync());
        Assert.Contains(member, await verdict.InnerTextAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("till-valid.png") });

        await page.GetByRole(AriaRole.Button, new() { Name = "Use this coupon" }).ClickAsync();
        await page.GetByText("Coupon used.").WaitForAsync();
        // The API, not the page, says it is used.
        var check = (await f.Api.PostAsync(f.P($"/coupons/{code}/validate"), f.AdminKey, null)).Body!;
        Assert.False(check["valid"]!.GetValue<bool>());
        Assert.Equal("USED", check["reason"]!.GetValue<string>());

        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Assertions.Expect(verdict.Locator(".verdict-label")).ToHaveTextAsync("Already used");
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Use this coupon" }).CountAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("till-used.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AShop_RecordsAPurchase_ForAMemberFoundById()
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var member = "buyer-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        var page = await OpenAsync(await ShopKeyAsync());
        await page.GetByLabel("Member id").FillAsync(member);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find member" }).ClickAsync();
        await page.GetByLabel("Amount").FillAsync("12.50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record purchase" }).ClickAsync();
        await page.GetByText("Recorded: 12 points").WaitForAsync();
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("12", balance["available"]!.GetValue<string>());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("till-purchase.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task APartnerKey_CannotOpenTheTill()
    {
        var partner = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "partner" })).Body!["key"]!.GetValue<string>();
        var page = await f.NewPageAsync();
        await page.GotoAsync("/till/");
        await page.GetByLabel("Shop key").FillAsync(partner);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the till" }).ClickAsync();
        await page.GetByText("A partner key cannot open the till.").WaitForAsync();
        await page.Context.CloseAsync();
    }
}
