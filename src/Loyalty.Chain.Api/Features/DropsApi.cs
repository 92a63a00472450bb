using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>
/// Collectible drops and badges: create, publish, airdrop, claim (vouchers for self-custody members), badge
/// rules, members' collections, and the public ERC-721 metadata and images that tokenURI points at.
/// </summary>
public static class DropsApi
{
    public sealed record AirdropRequest(List<string>? MemberIds);
    public sealed record MemberRequest(string? MemberId);
    public sealed record MintView(long Id, long DropId, string MemberId, string Status, string Source);
    public sealed record BadgeRuleRequest(string? Name, long? DropId, string? Trigger, BadgeKind? Kind, int? Count, string? Tier, long? Points,
        RuleConditions? Conditions);
    public sealed record BadgeRuleView(long Id, string Name, long DropId, string? Trigger, BadgeKind Kind, int? Count, string? Tier, long? Points,
        RuleConditions Conditions, bool Active, DateTime CreatedAt);

    public static RouteGroupBuilder MapDrops(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Drops");
        group.MapPost("/drops", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("drops");
        group.MapGet("/drops", ListAsync).RequireProgramRole(ApiRole.Admin);
        group.MapGet("/drops/{dropId:long}", GetAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPut("/drops/{dropId:long}/image", UploadImageAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("drop-image");
        group.MapPost("/drops/{dropId:long}/publish", PublishAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("drop-publish");
        group.MapPost("/drops/{dropId:long}/airdrop", AirdropAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("airdrops");
        group.MapPost("/drops/{dropId:long}/claims", ClaimAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency("drop-claims");
        group.MapPost("/drops/{dropId:long}/vouchers", VoucherAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency("vouchers");
        group.MapPost("/drops/{dropId:long}/vouchers/{nonce}/relay", RelayAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency("voucher-relay");
        group.MapGet("/badges", ListBadgesAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/badges", CreateBadgeAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("badges");
        group.MapDelete("/badges/{ruleId:long}", DeactivateBadgeAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("badge-deactivate");
        group.MapGet("/members/{memberId}/collectibles", CollectionAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);

        // Wallets and marketplaces fetch these without a key: tokenURI = the drop's base URI + the decimal token id.
        var open = routes.MapGroup("/v1/public").WithTags("Public metadata");
        open.MapGet("/metadata/{programId:long}/{dropId:long}/{tokenId}", MetadataAsync).RequireRateLimiting(RateLimits.MetadataPolicy);
        open.MapGet("/drops/{programId:long}/{dropId:long}/image", ImageAsync).RequireRateLimiting(RateLimits.MetadataPolicy);
        return group;
    }

    /// <summary>Creates a Draft drop.</summary>
    private static async Task<Created<DropView>> CreateAsync(HttpContext http, CreateDropRequest request, DropService drops, CancellationToken ct)
    {
        var drop = await drops.CreateAsync(http.Program().Id, request, ct);
        return TypedResults.Created($"/v1/programs/{drop.ProgramId}/drops/{drop.Id}", drops.View(drop, hasImage: false));
    }

    private static async Task<Ok<List<DropView>>> ListAsync(HttpContext http, DropService drops, CancellationToken ct) =>
        TypedResults.Ok(await drops.ListAsync(http.Program().Id, ct));

    /// <summary>The drop and its mint progress: planned, queued, in flight, minted, not minted (and why), its transactions.</summary>
    private static async Task<Ok<DropDetails>> GetAsync(HttpContext http, long dropId, DropService drops, CancellationToken ct) =>
        TypedResults.Ok(await drops.DetailsAsync(http.Program().Id, dropId, ct));

    /// <summary>The raw image as the body (PNG, JPEG or SVG, at most 256 KiB); the content is checked, not the declared type.</summary>
    private static async Task<NoContent> UploadImageAsync(HttpContext http, long dropId, DropService drops, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > DropService.MaxImageBytes)
                throw new LoyaltyException("IMAGE_TOO_LARGE", $"images are at most {DropService.MaxImageBytes / 1024} KiB", 413);
            buffer.Write(chunk, 0, read);
        }
        await drops.SetImageAsync(http.Program().Id, dropId, buffer.ToArray(), ct);
        return TypedResults.NoContent();
    }

    /// <summary>Queues createDrop on chain; the drop turns Published once it is final. Idempotent.</summary>
    private static async Task<Accepted<DropView>> PublishAsync(HttpContext http, long dropId, DropService drops, LoyaltyDbContext db,
        CancellationToken ct)
    {
        var drop = await drops.PublishAsync(http.Program(), dropId, ct);
        var hasImage = await db.Set<DropImage>().AnyAsync(i => i.DropId == dropId, ct);
        return TypedResults.Accepted($"/v1/programs/{drop.ProgramId}/drops/{drop.Id}", drops.View(drop, hasImage));
    }

    /// <summary>Plans one mint per audience member (explicit list or rule); batches go out with the next drop pass.</summary>
    private static async Task<Ok<AirdropResult>> AirdropAsync(HttpContext http, long dropId, AirdropRequest? request, DropGrants grants,
        CancellationToken ct) =>
        TypedResults.Ok(await grants.AirdropAsync(http.Program().Id, dropId, request?.MemberIds, ct));

    /// <summary>Open claim by a member who meets the drop's criteria: a queued mint to the member's wallet.</summary>
    private static async Task<Ok<MintView>> ClaimAsync(HttpContext http, long dropId, MemberRequest request, DropGrants grants,
        MemberService members, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, request.MemberId!, ct);
        var mint = await grants.ClaimAsync(member.ProgramId, dropId, member, ct);
        return TypedResults.Ok(new MintView(mint.Id, mint.DropId, member.ExternalId, mint.Status.ToString(), mint.Source));
    }

    /// <summary>An EIP-712 voucher the self-custody member submits from their wallet (or has relayed). One per member and drop.</summary>
    private static async Task<Ok<VoucherView>> VoucherAsync(HttpContext http, long dropId, MemberRequest request, VoucherService vouchers,
        MemberService members, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, request.MemberId!, ct);
        return TypedResults.Ok(await vouchers.IssueAsync(program, dropId, member, ct));
    }

    /// <summary>The operator submits the voucher through the pipeline; follow relayTxId in the drop's progress.</summary>
    private static async Task<Accepted<VoucherView>> RelayAsync(HttpContext http, long dropId, string nonce, VoucherService vouchers,
        CancellationToken ct)
    {
        var program = http.Program();
        var view = await vouchers.RelayAsync(program, dropId, nonce, ct);
        return TypedResults.Accepted($"/v1/programs/{program.Id}/drops/{dropId}", view);
    }

    private static async Task<Ok<List<BadgeRuleView>>> ListBadgesAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var rules = await db.Set<BadgeRule>().AsNoTracking().Where(r => r.ProgramId == programId).OrderBy(r => r.Id).ToListAsync(ct);
        return TypedResults.Ok(rules.Select(View).ToList());
    }

    /// <summary>A rule that awards a soulbound drop automatically when an accepted event meets it.</summary>
    private static async Task<Created<BadgeRuleView>> CreateBadgeAsync(HttpContext http, BadgeRuleRequest request, LoyaltyDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == request.DropId && d.ProgramId == programId, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {request.DropId} in this program", 404);
        if (!drop.Soulbound) throw new LoyaltyException("BADGE_DROP_NOT_SOULBOUND", "badges are soulbound drops", 409);
        var rule = new BadgeRule
        {
            ProgramId = programId, DropId = drop.Id, Name = request.Name?.Trim() ?? "", Trigger = request.Trigger, Kind = request.Kind ?? BadgeKind.FirstEvent,
            Count = request.Count, Tier = request.Tier?.Trim(), Points = request.Points, Conditions = request.Conditions ?? new RuleConditions(),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        if (rule.Validate() is { Count: > 0 } errors) throw new LoyaltyException("INVALID_BADGE_RULE", string.Join(" ", errors));
        db.Set<BadgeRule>().Add(rule);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/programs/{programId}/badges/{rule.Id}", View(rule));
    }

    /// <summary>Rules are deactivated, not deleted: awarded badges keep pointing at them.</summary>
    private static async Task<Results<NoContent, NotFound>> DeactivateBadgeAsync(HttpContext http, long ruleId, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var changed = await db.Set<BadgeRule>().Where(r => r.Id == ruleId && r.ProgramId == programId)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Active, false), ct);
        return changed == 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    /// <summary>Tokens on the member's wallets (custodial and linked) per the indexer, with metadata URLs, and mints on the way.</summary>
    private static async Task<Ok<MemberCollection>> CollectionAsync(HttpContext http, string memberId, MemberService members,
        CollectibleQueries queries, CancellationToken ct)
    {
        var program = http.Program();
        return TypedResults.Ok(await queries.CollectionAsync(program, await members.GetAsync(program.Id, memberId, ct), ct));
    }

    private static async Task<JsonHttpResult<TokenMetadata>> MetadataAsync(HttpContext http, long programId, long dropId, string tokenId,
        CollectibleQueries queries, CancellationToken ct)
    {
        var metadata = await queries.MetadataAsync(programId, dropId, tokenId, ct)
                       ?? throw new LoyaltyException("UNKNOWN_TOKEN", "no such token of this drop (not minted, or not yet)", 404);
        http.Response.Headers.CacheControl = "public, max-age=60";
        return TypedResults.Json(metadata);
    }

    private static async Task<Results<FileContentHttpResult, RedirectHttpResult>> ImageAsync(HttpContext http, long programId, long dropId,
        CollectibleQueries queries, CancellationToken ct)
    {
        var (image, redirect) = await queries.ImageAsync(programId, dropId, ct);
        if (image is null)
        {
            return redirect is not null ? TypedResults.Redirect(redirect)
                : throw new LoyaltyException("UNKNOWN_IMAGE", "this drop has no image", 404);
        }
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // An SVG is a document: served from our origin it must not run script or load anything.
        if (image.ContentType == "image/svg+xml") http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
        return TypedResults.File(image.Bytes, image.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{image.Sha256}\""));
    }

    private static BadgeRuleView View(BadgeRule r) => new(r.Id, r.Name, r.DropId, r.Trigger, r.Kind, r.Count, r.Tier, r.Points, r.Conditions,
        r.Active, r.CreatedAt);
}
