using System.Net;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests.Money;

/// <summary>Redemptions, burns, vouchers, caps and checked arithmetic against a real node, host and SQLite file.</summary>
public sealed partial class MoneyTests(MoneyFixture f) : MoneyTestsBase(f), IClassFixture<MoneyFixture>
{
    [Fact]
    public async Task CouponShown_MemberAndShopCannotCancel_AdminVoidReleasesThePointsVoidsTheCodeAndCountsTowardTheLimit()
    {
        var member = await EnrolAsync("coupon");
        await GiftAsync(member, 100, mint: false);
        var reward = await RewardAsync("DiscountCoupon", 30, perMemberLimit: 1);
        var shop = (await F.Api.PostAsync(F.P("/api-keys"), F.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>();

        var redeemed = await AsMemberAsync(HttpMethod.Post, F.P($"/members/{member}/redemptions"), member, new { rewardId = reward });
        Assert.True(redeemed.Status == HttpStatusCode.Created, redeemed.Body?.ToJsonString());
        var id = redeemed.Body!["id"]!.GetValue<long>();
        var code = redeemed.Body["couponCode"]!.GetValue<string>();

        // The member has read the code: neither they nor a shop can take the points back as well.
        var byMember = await AsMemberAsync(HttpMethod.Post, F.P($"/redemptions/{id}/cancel"), member);
        Assert.Equal((HttpStatusCode.Conflict, "REWARD_ISSUED"), (byMember.Status, byMember.Body?["code"]?.GetValue<string>()));
        var byShop = await F.Api.PostAsync(F.P($"/redemptions/{id}/cancel"), shop, null);
        Assert.Equal((HttpStatusCode.Conflict, "REWARD_ISSUED"), (byShop.Status, byShop.Body?["code"]?.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, (await F.Api.PostAsync(F.P($"/redemptions/{id}/void"), shop, null)).Status);
        Assert.Equal("Active", (await F.Api.GetAsync(F.P($"/redemptions/{id}"), F.AdminKey)).Body!["couponStatus"]?.GetValue<string>());
        var untouched = await BalanceAsync(member);
        Assert.Equal(("70", "30"), (untouched["available"]!.GetValue<string>(), untouched["reserved"]!.GetValue<string>()));

        var voided = await F.Api.PostAsync(F.P($"/redemptions/{id}/void"), F.AdminKey, null);
        Assert.True(voided.Status == HttpStatusCode.OK, voided.Body?.ToJsonString());
        Assert.Equal("Voided", voided.Body!["status"]!.GetValue<string>());
        Assert.Equal("Void", voided.Body["couponStatus"]!.GetValue<string>());
        Assert.NotNull(voided.Body["voidedAt"]);
        var released = await BalanceAsync(member);
        Assert.Equal(("100", "0"), (released["available"]!.GetValue<string>(), released["reserved"]!.GetValue<string>()));
        Assert.NotNull(await WithDbAsync(db => db.Set<CouponCode>().Where(c => c.Code == code).Select(c => EF.Property<DateTime?>(c, "VoidedAt")).SingleAsync()));
        Assert.Equal("Voided", (await F.Api.PostAsync(F.P($"/redemptions/{id}/void"), F.AdminKey, null)).Body!["status"]!.GetValue<string>());

        // The voided redemption still counts toward the per-member limit of one.
        var again = await F.Api.PostAsync(F.P($"/members/{member}/redemptions"), F.AdminKey, new { rewardId = reward });
        Assert.Equal((HttpStatusCode.Conflict, "LIMIT_REACHED"), (again.Status, again.Body!["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RewardWithNothingHandedOut_MemberMayStillCancelBeforeTheBurn()
    {
        var member = await EnrolAsync("exp");
        await GiftAsync(member, 100, mint: false);
        var reward = await RewardAsync("Experience", 40);
        var redeemed = await AsMemberAsync(HttpMethod.Post, F.P($"/members/{member}/redemptions"), member, new { rewardId = reward });
        Assert.Null(redeemed.Body!["couponCode"]);
        var id = redeemed.Body["id"]!.GetValue<long>();

        var cancelled = await AsMemberAsync(HttpMethod.Post, F.P($"/redemptions/{id}/cancel"), member);
        Assert.Equal((HttpStatusCode.OK, "Cancelled"), (cancelled.Status, cancelled.Body!["status"]!.GetValue<string>()));
        Assert.Equal("100", (await BalanceAsync(member))["available"]!.GetValue<string>());
    }
}
