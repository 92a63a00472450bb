using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Coupon codes at the till: validate, use once (idempotent), void, expired, another program's code.</summary>
public sealed class CouponTillTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private string? _shopKey;
    private long _shopKeyId;

    private async Task<string> ShopKeyAsync()
    {
        if (_shopKey is not null) return _shopKey;
        var created = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "till 1" });
        _shopKeyId = created.Body!["id"]!.GetValue<long>();
        return _shopKey = created.Body["key"]!.GetValue<string>();
    }

    /// <summary>A member with points redeems a coupon reward; returns (member, redemption id, code).</summary>
    private async Task<(string Member, long Redemption, string Code)> CouponAsync(int? validDays = 30)
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "Fixed", points = 10 } });
        var member = "cp-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "g-" + member });
        var reward = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "10% off", cost = "5", couponValidDays = validDays });
        Assert.Equal(HttpStatusCode.Created, reward.Status);
        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward.Body!["id"]!.GetValue<long>() });
        Assert.Equal(HttpStatusCode.Created, redeemed.Status);
        return (member, redeemed.Body!["id"]!.GetValue<long>(), redeemed.Body["couponCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Use_MarksTheCodeUsedOnce_ReplaysForTheSameKey_AndRefusesAnotherUse()
    {
        var shop = await ShopKeyAsync();
        var (member, redemption, code) = await CouponAsync(validDays: 30);

        var check = await f.Api.PostAsync(f.P($"/coupons/{code.ToLowerInvariant()}/validate"), shop, null);
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.True(check.Body!["valid"]!.GetValue<bool>());
        Assert.Null(check.Body["reason"]);
        Assert.Equal("10% off", check.Body["reward"]!["name"]!.GetValue<string>());
        Assert.Equal("DiscountCoupon", check.Body["reward"]!["type"]!.GetValue<string>());
        Assert.Equal(member, check.Body["member"]!["memberId"]!.GetValue<string>());
        var expires = check.Body["expiresAt"]!.GetValue<DateTime>();
        Assert.InRange(expires, DateTime.UtcNow.AddDays(30).AddMinutes(-5), DateTime.UtcNow.AddDays(30).AddMinutes(5));

        var used = await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, new { orderId = "till-order-1" }, "use-" + code);
        Assert.Equal(HttpStatusCode.OK, used.Status);
        var usedAt = used.Body!["usedAt"]!.GetValue<DateTime>();
        Assert.Equal("till-order-1", used.Body["orderId"]!.GetValue<string>());

        var replay = await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, new { orderId = "till-order-1" }, "use-" + code);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(usedAt, replay.Body!["usedAt"]!.GetValue<DateTime>());

        var again = await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, new { orderId = "till-order-2" }, "other-" + code);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("COUPON_ALREADY_USED", again.Body!["code"]!.GetValue<string>());
        Assert.Contains(usedAt.ToString("yyyy-MM-ddTHH:mm:ss"), again.Body["detail"]!.GetValue<string>());
        Assert.Equal("COUPON_ALREADY_USED", (await f.Api.PostAsync(f.P($"/coupons/{code}/use"), f.AdminKey, null)).Body!["code"]!.GetValue<string>());

        var after = (await f.Api.PostAsync(f.P($"/coupons/{code}/validate"), shop, null)).Body!;
        Assert.False(after["valid"]!.GetValue<bool>());
        Assert.Equal("USED", after["reason"]!.GetValue<string>());
        Assert.Equal("Used", (await f.Api.GetAsync(f.P($"/redemptions/{redemption}"), f.AdminKey)).Body!["couponStatus"]!.GetValue<string>());
        using var scope = f.Factory.Services.CreateScope();
        var row = await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<CouponCode>().AsNoTracking().SingleAsync(c => c.Code == code);
        Assert.Equal(_shopKeyId, row.UsedByKeyId);
        Assert.Equal("till-order-1", row.UsedOrderId);
    }

    [Fact]
    public async Task TwoTillsUsingOneCodeAtOnce_ExactlyOneWins()
    {
        var shop = await ShopKeyAsync();
        var (_, _, code) = await CouponAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, null, $"race-{i}-{code}")));
        Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal("COUPON_ALREADY_USED", r.Body!["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task VoidedRedemption_MakesItsCodeVoid_AtTheTill()
    {
        var shop = await ShopKeyAsync();
        var (_, redemption, code) = await CouponAsync();
        var voided = await f.Api.PostAsync(f.P($"/redemptions/{redemption}/void"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, voided.Status);

        var check = (await f.Api.PostAsync(f.P($"/coupons/{code}/validate"), shop, null)).Body!;
        Assert.False(check["valid"]!.GetValue<bool>());
        Assert.Equal("VOID", check["reason"]!.GetValue<string>());
        var use = await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, null, "void-" + code);
        Assert.Equal(HttpStatusCode.Conflict, use.Status);
        Assert.Equal("COUPON_VOID", use.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task UsedCode_CannotBeVoidedOrCancelled_TheGoodsWereBoughtWithThosePoints()
    {
        var shop = await ShopKeyAsync();
        var (_, redemption, code) = await CouponAsync();
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, new { orderId = "till-9" }, "used-" + code)).Status);
        var before = (await f.Api.GetAsync(f.P($"/redemptions/{redemption}"), f.AdminKey)).Body!["status"]!.GetValue<string>();

        foreach (var path in new[] { "void", "cancel" })
        {
            var undo = await f.Api.PostAsync(f.P($"/redemptions/{redemption}/{path}"), f.AdminKey, null);
            Assert.Equal(HttpStatusCode.Conflict, undo.Status);
            Assert.Equal("COUPON_USED", undo.Body!["code"]!.GetValue<string>());
        }
        var after = (await f.Api.GetAsync(f.P($"/redemptions/{redemption}"), f.AdminKey)).Body!;
        Assert.Equal("Used", after["couponStatus"]!.GetValue<string>());
        Assert.True(after["status"]!.GetValue<string>() is "Reserved" or "Burning" or "Completed", $"was {before}, now {after["status"]}");
    }

    [Fact]
    public async Task ExpiredCode_IsRefused_AndACodeWithoutValidityNeverExpires()
    {
        var shop = await ShopKeyAsync();
        var (_, _, code) = await CouponAsync(validDays: 1);
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var row = await db.Set<CouponCode>().AsNoTracking().SingleAsync(c => c.Code == code);
            Assert.InRange(row.ExpiresAt!.Value, DateTime.UtcNow.AddHours(23), DateTime.UtcNow.AddHours(25));
            // A day passes at the till.
            await db.Set<CouponCode>().Where(c => c.Code == code).ExecuteUpdateAsync(u => u.SetProperty(c => c.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        }
        var check = (await f.Api.PostAsync(f.P($"/coupons/{code}/validate"), shop, null)).Body!;
        Assert.Equal("EXPIRED", check["reason"]!.GetValue<string>());
        var use = await f.Api.PostAsync(f.P($"/coupons/{code}/use"), shop, null);
        Assert.Equal(HttpStatusCode.Conflict, use.Status);
        Assert.Equal("COUPON_EXPIRED", use.Body!["code"]!.GetValue<string>());

        var (_, _, forever) = await CouponAsync(validDays: null);
        var open = (await f.Api.PostAsync(f.P($"/coupons/{forever}/validate"), shop, null)).Body!;
        Assert.True(open["valid"]!.GetValue<bool>());
        Assert.Null(open["expiresAt"]);
        Assert.Equal("INVALID_REWARD", (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { name = "x", cost = "1", couponValidDays = 0 })).Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnotherProgramsCode_IsUnknown_LikeACodeThatDoesNotExist()
    {
        var (_, _, code) = await CouponAsync();
        var other = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "Other till", pointName = "Other", pointSymbol = "OTT", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 });
        var otherId = other.Body!["program"]!["id"]!.GetValue<long>();
        var otherAdmin = other.Body["adminKey"]!.GetValue<string>();

        var check = await f.Api.PostAsync($"/v1/programs/{otherId}/coupons/{code}/validate", otherAdmin, null);
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.False(check.Body!["valid"]!.GetValue<bool>());
        Assert.Equal("UNKNOWN", check.Body["reason"]!.GetValue<string>());
        Assert.Null(check.Body["reward"]);
        Assert.Null(check.Body["member"]);
        var use = await f.Api.PostAsync($"/v1/programs/{otherId}/coupons/{code}/use", otherAdmin, null);
        Assert.Equal(HttpStatusCode.NotFound, use.Status);
        Assert.Equal("UNKNOWN_COUPON", use.Body!["code"]!.GetValue<string>());
        Assert.Equal("UNKNOWN", (await f.Api.PostAsync(f.P("/coupons/NOPE-NOPE/validate"), f.AdminKey, null)).Body!["reason"]!.GetValue<string>());
        // The code still works in its own program.
        Assert.True((await f.Api.PostAsync(f.P($"/coupons/{code}/validate"), f.AdminKey, null)).Body!["valid"]!.GetValue<bool>());
    }
}
