using System.Text.Json;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Member management: list and search, profile and consent changes, block/unblock, and the event log.</summary>
public static class MemberManagementApi
{
    public sealed record MemberPage(IReadOnlyList<MembersApi.MemberView> Items, string? NextCursor);
    public sealed record ProfileView(string MemberId, string? Email, string? Phone, DateOnly? Birthday, Dictionary<string, string> Attributes,
        Dictionary<string, ConsentState> Consents, DateTime UpdatedAt);
    public sealed record BlockRequest(string? Reason);

    internal static RouteGroupBuilder MapMemberManagement(this RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPatch("/{memberId}", PatchAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member).WithIdempotency("member-patch");
        group.MapPost("/{memberId}/block", BlockAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-block");
        group.MapPost("/{memberId}/unblock", UnblockAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-unblock");
        group.MapGet("/{memberId}/events", EventsAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return group;
    }

    private static async Task<Ok<MemberPage>> ListAsync(HttpContext http, MemberQuery query, LoyaltyDbContext db, string? tier, string? attribute,
        string? externalIdPrefix, string? enrolledFrom, string? enrolledTo, string? balanceAbove, string? blocked, string? limit, string? cursor,
        CancellationToken ct)
    {
        var filter = MemberQuery.Parse(new MemberFilterText(tier, attribute, externalIdPrefix, enrolledFrom, enrolledTo, balanceAbove, blocked, limit, cursor));
        var (members, next) = await query.ListAsync(http.Program().Id, filter, ct);
        var ids = members.Select(m => m.Id).ToList();
        var balances = await db.Set<MemberBalance>().AsNoTracking().Where(b => ids.Contains(b.MemberId)).ToDictionaryAsync(b => b.MemberId, ct);
        return TypedResults.Ok(new MemberPage(members.Select(m => MembersApi.View(m, balances[m.Id])).ToList(), next));
    }

    /// <summary>Admin: email, phone, birthday, attributes, consents. The member's own token: all but attributes.</summary>
    private static async Task<Ok<ProfileView>> PatchAsync(HttpContext http, string memberId, JsonElement body, MemberService members,
        CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var patch = MemberService.ParsePatch(body, http.Caller().Role == ApiRole.Member);
        var p = await members.PatchProfileAsync(member, patch, ct);
        return TypedResults.Ok(new ProfileView(member.ExternalId, p.Email, p.Phone, p.Birthday, p.Attributes, p.Consents, p.UpdatedAt));
    }

    private static async Task<Ok<MembersApi.MemberView>> BlockAsync(HttpContext http, string memberId, BlockRequest? request, MemberService members,
        LoyaltyDbContext db, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var blocked = await members.BlockAsync(member, request?.Reason, http.Caller().Actor, ct);
        return TypedResults.Ok(await MembersApi.ViewAsync(http, db, blocked, ct));
    }

    private static async Task<Ok<MembersApi.MemberView>> UnblockAsync(HttpContext http, string memberId, MemberService members,
        LoyaltyDbContext db, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var unblocked = await members.UnblockAsync(member, http.Caller().Actor, ct);
        return TypedResults.Ok(await MembersApi.ViewAsync(http, db, unblocked, ct));
    }

    private static async Task<Ok<EventLogPage>> EventsAsync(HttpContext http, string memberId, MemberService members, EventLog log,
        string? type, string? from, string? to, string? limit, string? cursor, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        return TypedResults.Ok(await log.ListAsync(member.ProgramId, member.Id, new EventLogFilterText(type, from, to, limit, cursor), ct));
    }

}
