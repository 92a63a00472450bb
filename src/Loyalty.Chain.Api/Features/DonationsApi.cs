using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Donations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Causes members donate points to (through Donation rewards), and what each received.</summary>
public static class DonationsApi
{
    public sealed record CauseRequest(string? Name, string? Description, string? Url, bool? Active);
    public sealed record CauseView(long Id, string Name, string? Description, string? Url, bool Active, DateTime CreatedAt);
    public sealed record TotalsView(long CauseId, string Name, string DonatedPoints, string PendingPoints, int Donors, int Donations);

    public static RouteGroupBuilder MapDonations(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/causes").WithTags("Donations");
        group.MapPost("/", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("causes");
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member).AllowAnyMemberOfProgram();
        group.MapPatch("/{causeId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("cause-update");
        group.MapGet("/totals", AllTotalsAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member).AllowAnyMemberOfProgram();
        group.MapGet("/{causeId:long}/totals", TotalsAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member).AllowAnyMemberOfProgram();
        return group;
    }

    /// <summary>A member sees the causes that take donations now; admin and shop see every cause.</summary>
    private static bool ActiveOnly(HttpContext http) => http.Caller().Role == ApiRole.Member;

    private static async Task<Created<CauseView>> CreateAsync(HttpContext http, CauseRequest? r, DonationService causes, CancellationToken ct)
    {
        if (r is null) throw new LoyaltyException("INVALID_CAUSE", "a JSON body with name is required");
        var cause = await causes.CreateAsync(http.Program().Id, new CauseInput(r.Name, r.Description, r.Url, r.Active), ct);
        return TypedResults.Created($"/v1/programs/{cause.ProgramId}/causes/{cause.Id}", View(cause));
    }

    private static async Task<Ok<CauseView>> UpdateAsync(HttpContext http, long causeId, CauseRequest? r, DonationService causes, CancellationToken ct)
    {
        if (r is null) throw new LoyaltyException("INVALID_CAUSE", "a JSON body is required");
        return TypedResults.Ok(View(await causes.UpdateAsync(http.Program().Id, causeId, new CauseInput(r.Name, r.Description, r.Url, r.Active), ct)));
    }

    private static async Task<Ok<List<CauseView>>> ListAsync(HttpContext http, DonationService causes, CancellationToken ct) =>
        TypedResults.Ok((await causes.ListAsync(http.Program().Id, ActiveOnly(http), ct)).Select(View).ToList());

    private static async Task<Ok<List<TotalsView>>> AllTotalsAsync(HttpContext http, DonationService causes, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var list = await causes.ListAsync(programId, ActiveOnly(http), ct);
        return TypedResults.Ok((await causes.TotalsAsync(programId, list, ct)).Select(View).ToList());
    }

    private static async Task<Ok<TotalsView>> TotalsAsync(HttpContext http, long causeId, DonationService causes, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var cause = await causes.GetAsync(programId, causeId, ActiveOnly(http), ct);
        return TypedResults.Ok(View((await causes.TotalsAsync(programId, [cause], ct)).Single()));
    }

    private static CauseView View(Cause c) => new(c.Id, c.Name, c.Description, c.Url, c.Active, c.CreatedAt);

    private static TotalsView View(CauseTotals t) =>
        new(t.CauseId, t.Name, t.DonatedPoints.ToString(), t.PendingPoints.ToString(), t.Donors, t.Donations);
}
