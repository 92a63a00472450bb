using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Coupons;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Coupon codes at the till: check a code, and use it once.</summary>
public static class CouponsApi
{
    public sealed record UseRequest(string? OrderId);

    public static RouteGroupBuilder MapCoupons(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/coupons").WithTags("Coupons");
        // Reads only: nothing to make idempotent.
        group.MapPost("/{code}/validate", ValidateAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        // The same key replays the first answer; another use of a used code is 409 COUPON_ALREADY_USED.
        group.MapPost("/{code}/use", UseAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency("coupon-use");
        return group;
    }

    private static async Task<Ok<CouponCheck>> ValidateAsync(HttpContext http, string code, CouponTill till, CancellationToken ct) =>
        TypedResults.Ok(await till.ValidateAsync(http.Program().Id, code, ct));

    private static async Task<Ok<CouponCheck>> UseAsync(HttpContext http, string code, UseRequest? request, CouponTill till, CancellationToken ct) =>
        TypedResults.Ok(await till.UseAsync(http.Program().Id, code, http.Caller().KeyId, request?.OrderId, ct));
}
