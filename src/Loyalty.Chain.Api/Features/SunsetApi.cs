using System.Text.Json;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Sunset;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>The sunset kit: stop earning, let members leave with their assets, publish a verifiable final snapshot, re-host the collectibles.</summary>
public static class SunsetApi
{
    public sealed record SunsetRequest(DateTime? EndsAt);
    public sealed record SnapshotSummary(long Block, string BlockHash, DateTime TakenAt, string? PointsRoot, int PointsLeafCount,
        string? CollectiblesRoot, int CollectiblesLeafCount, string LeafEncoding, string CollectiblesLeafEncoding);
    public sealed record SunsetView(long ProgramId, string Status, DateTime EndsAt, DateTime RequestedAt, string? RequestedBy, DateTime? EndedAt,
        SnapshotSummary? Snapshot);
    public sealed record PublicProgramView(long Id, string Name, string PointName, string PointSymbol, int Decimals, long ChainId,
        string? PointsContract, string? CollectibleContract, string Status, SunsetView? Sunset);
    public sealed record ProofView(string Address, string Balance, string Root, long Block, IReadOnlyList<string> Proof, string LeafEncoding);
    public sealed record ExportRequest(string? HostUrl);
    public sealed record BaseUriRequest(string? BaseUri);
    /// <summary>The base URI the contract has (unchanged until the transaction succeeds) and the one requested.</summary>
    public sealed record BaseUriView(long DropId, string? BaseUri, string? PendingBaseUri, long ChainTxId);
    public sealed record ClaimRequest(string? Passphrase);

    public static RouteGroupBuilder MapSunset(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Sunset");
        group.MapPost("/sunset", StartAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-sunset");
        group.MapGet("/sunset", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Partner);
        group.MapPost("/sunset/snapshot", SnapshotNowAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("sunset-snapshot");
        group.MapPost("/sunset/metadata-export", ExportAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/drops/{dropId:long}/base-uri", BaseUriAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("drop-base-uri");
        group.MapPost("/members/{memberId}/wallet/claim", ClaimAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member);

        // Anyone may check a sunset: the program's public view, the full snapshot and a holder's Merkle proof.
        var open = routes.MapGroup("/v1/public/programs/{programId:long}").WithTags("Sunset");
        open.MapGet("", PublicProgramAsync).RequireRateLimiting(PartnersApi.PublicPolicy);
        open.MapGet("/sunset/snapshot", SnapshotAsync).RequireRateLimiting(PartnersApi.PublicPolicy);
        open.MapGet("/sunset/proof/{address}", ProofAsync).RequireRateLimiting(PartnersApi.PublicPolicy);
        return group;
    }

    private static async Task<Ok<SunsetView>> StartAsync(HttpContext http, SunsetRequest request, SunsetService sunsets, ProgramCache cache,
        CancellationToken ct)
    {
        var sunset = await sunsets.StartAsync(http.Program().Id, request.EndsAt, http.Caller().Actor, ct);
        cache.Forget(sunset.ProgramId);
        return TypedResults.Ok(View(sunset, withActor: true));
    }

    private static async Task<Ok<SunsetView>> GetAsync(HttpContext http, SunsetService sunsets, CancellationToken ct) =>
        TypedResults.Ok(View(await sunsets.FindAsync(http.Program().Id, ct) ?? throw NotSunsetting(), http.Caller().Role == ApiRole.Admin));

    /// <summary>Ends the sunset now, whatever its date (redemption closes), and takes the final snapshot.</summary>
    private static async Task<Ok<SunsetView>> SnapshotNowAsync(HttpContext http, SunsetService sunsets, CancellationToken ct) =>
        TypedResults.Ok(View(await sunsets.EndAndSnapshotAsync(http.Program().Id, ct), withActor: true));

    /// <summary>Read-only (a zip of what the public metadata routes serve), so no Idempotency-Key.</summary>
    private static async Task<FileContentHttpResult> ExportAsync(HttpContext http, ExportRequest? request, DropRehosting rehosting, CancellationToken ct)
    {
        var program = http.Program();
        var (zip, _) = await rehosting.ExportAsync(program, request?.HostUrl, ct);
        return TypedResults.File(zip, "application/zip", $"program-{program.Id}-metadata.zip");
    }

    private static async Task<Accepted<BaseUriView>> BaseUriAsync(HttpContext http, long dropId, BaseUriRequest request, DropRehosting rehosting,
        CancellationToken ct)
    {
        var (drop, txId) = await rehosting.SetBaseUriAsync(http.Program(), dropId, request.BaseUri, ct);
        return TypedResults.Accepted($"/v1/programs/{drop.ProgramId}/drops/{drop.Id}", new BaseUriView(drop.Id, drop.BaseUri, drop.PendingBaseUri, txId));
    }

    /// <summary>The member's custodial key as an encrypted keystore; their own token, or an admin (audited either way).</summary>
    private static async Task<ContentHttpResult> ClaimAsync(HttpContext http, string memberId, ClaimRequest request, MemberService members,
        KeystoreClaim claims, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var caller = http.Caller();
        var keystore = await claims.ClaimAsync(program.Id, member, request.Passphrase, caller.Role == ApiRole.Member ? "member" : caller.Actor, ct);
        return TypedResults.Content(keystore, "application/json");
    }

    private static async Task<Ok<PublicProgramView>> PublicProgramAsync(long programId, LoyaltyDbContext db, Chain.ChainOptionsAccessor chain,
        CancellationToken ct)
    {
        var p = await db.Set<LoyaltyProgram>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == programId, ct) ?? throw UnknownProgram();
        var sunset = await db.Set<ProgramSunset>().AsNoTracking().SingleOrDefaultAsync(s => s.ProgramId == programId, ct);
        return TypedResults.Ok(new PublicProgramView(p.Id, p.Name, p.PointName, p.PointSymbol, p.Decimals, chain.ChainId, p.PointsContract,
            p.CollectibleContract, StatusOf(p, sunset), sunset is null ? null : View(sunset, withActor: false)));
    }

    private static async Task<ContentHttpResult> SnapshotAsync(HttpContext http, long programId, LoyaltyDbContext db, CancellationToken ct)
    {
        var json = await TakenSnapshotAsync(db, programId, ct);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Content(json, "application/json");
    }

    private static async Task<Ok<ProofView>> ProofAsync(long programId, string address, LoyaltyDbContext db, CancellationToken ct)
    {
        var holder = Partners.AttestationService.NormalizeAddress(address);
        var snapshot = JsonSerializer.Deserialize<SunsetSnapshot>(await TakenSnapshotAsync(db, programId, ct), SunsetSnapshot.Json)!;
        var leaf = snapshot.Points.Leaves.FirstOrDefault(l => string.Equals(l.Address, holder, StringComparison.OrdinalIgnoreCase))
                   ?? throw new LoyaltyException("NOT_IN_SNAPSHOT", "this address held no points at the snapshot block", 404);
        var tree = SunsetSnapshotReader.PointsTree(snapshot.Points.Leaves)!;
        var proof = tree.ProofOf(SunsetMerkle.LeafOf(leaf.Address, System.Numerics.BigInteger.Parse(leaf.Balance)))!;
        return TypedResults.Ok(new ProofView(leaf.Address, leaf.Balance, tree.Root, snapshot.Block, proof, SunsetSnapshot.PointsEncoding));
    }

    private static async Task<string> TakenSnapshotAsync(LoyaltyDbContext db, long programId, CancellationToken ct) =>
        await db.Set<ProgramSunset>().AsNoTracking().Where(s => s.ProgramId == programId).Select(s => s.Snapshot).SingleOrDefaultAsync(ct)
        ?? throw new LoyaltyException("NO_SNAPSHOT", "no final snapshot has been taken for this program", 404);

    /// <summary>Sunsetting or Sunset when a sunset was requested (the program stays Active underneath), else the program's own status.</summary>
    internal static string StatusOf(LoyaltyProgram p, ProgramSunset? sunset) =>
        sunset is null || p.Status != ProgramStatus.Active ? p.Status.ToString() : sunset.State == SunsetState.Ended ? "Sunset" : "Sunsetting";

    internal static SunsetView View(ProgramSunset s, bool withActor) => new(s.ProgramId, s.State == SunsetState.Ended ? "Sunset" : "Sunsetting",
        s.EndsAt, s.RequestedAt, withActor ? s.RequestedBy : null, s.EndedAt,
        s.SnapshotBlock is { } block ? new SnapshotSummary(block, s.SnapshotBlockHash!, s.SnapshotAt!.Value, s.PointsRoot, s.PointsLeafCount ?? 0,
            s.CollectiblesRoot, s.CollectiblesLeafCount ?? 0, SunsetSnapshot.PointsEncoding, SunsetSnapshot.CollectiblesEncoding) : null);

    private static LoyaltyException NotSunsetting() => new("PROGRAM_NOT_SUNSETTING", "the program has no sunset", 404);
    private static LoyaltyException UnknownProgram() => new("UNKNOWN_PROGRAM", "no such program", 404);
}
