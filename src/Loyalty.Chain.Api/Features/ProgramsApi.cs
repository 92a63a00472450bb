using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Programs (brands) and their API keys.</summary>
public static class ProgramsApi
{
    public sealed record ProgramView(long Id, string Name, string PointName, string PointSymbol, int Decimals, string Currency,
        long PendingPeriodSeconds, string TimeZone, string Status, string? StatusDetail, long ChainId, string? PointsContract,
        string? CollectibleContract, string OperatorAddress, DateTime CreatedAt, IReadOnlyList<PauseTxView>? PauseTxs = null,
        ExpiryPolicyView? Expiry = null, string? Returns = null, string? MinterAddress = null, string? ClaimSignerAddress = null,
        string? AdminAddress = null, SunsetApi.SunsetView? Sunset = null);
    public sealed record ExpiryPolicyView(string Policy, int? Months, int? Days, bool RoundToMonthEnd);
    public sealed record PauseTxView(long Id, string Purpose, string To, string Status, string? Outcome, string? Hash, string? ErrorCode);

    public sealed record CreatedProgramView(ProgramView Program, string AdminKey);
    public sealed record CreateKeyRequest(string? Role, string? Name);
    public sealed record KeyView(long Id, string Role, string Name, string Prefix, DateTime CreatedAt, DateTime? RevokedAt, string? Key);

    public static RouteGroupBuilder MapPrograms(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs").WithTags("Programs");
        group.MapPost("/", CreateAsync).RequireRoot().WithIdempotency("programs", secretFields: "adminKey");
        group.MapGet("/{programId:long}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Partner);
        group.MapPatch("/{programId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-settings");
        group.MapPost("/{programId:long}/pause", PauseAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-pause");
        group.MapPost("/{programId:long}/resume", ResumeAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-resume");
        group.MapPost("/{programId:long}/api-keys", CreateKeyAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("api-keys", secretFields: "key");
        group.MapGet("/{programId:long}/api-keys", ListKeysAsync).RequireProgramRole(ApiRole.Admin);
        group.MapDelete("/{programId:long}/api-keys/{keyId:long}", RevokeKeyAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("api-key-revoke");
        return group;
    }

    private static async Task<Ok<ProgramView>> GetAsync(HttpContext http, Chain.ChainOptionsAccessor chain, LoyaltyDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await FullViewAsync(db, http.Program(), chain.ChainId, ct));

    /// <summary>name, pendingPeriodSeconds, timeZone; unknown fields are refused (see <see cref="UpdateProgramRequest"/>).</summary>
    private static async Task<Ok<ProgramView>> UpdateAsync(HttpContext http, System.Text.Json.JsonElement body, ProgramSettings settings,
        ProgramCache cache, Chain.ChainOptionsAccessor chain, LoyaltyDbContext db, CancellationToken ct)
    {
        var program = await settings.ApplyAsync(http.Program().Id, ProgramSettings.Parse(body), ct);
        cache.Forget(program.Id);
        return TypedResults.Ok(await FullViewAsync(db, program, chain.ChainId, ct));
    }

    private static async Task<Ok<ProgramView>> PauseAsync(HttpContext http, ProgramPause pause, ProgramCache cache, Chain.ChainOptionsAccessor chain,
        LoyaltyDbContext db, CancellationToken ct)
    {
        var program = await pause.PauseAsync(http.Program().Id, ct);
        cache.Forget(program.Id);
        return TypedResults.Ok(await FullViewAsync(db, program, chain.ChainId, ct));
    }

    private static async Task<Ok<ProgramView>> ResumeAsync(HttpContext http, ProgramPause pause, ProgramCache cache, Chain.ChainOptionsAccessor chain,
        LoyaltyDbContext db, CancellationToken ct)
    {
        var program = await pause.ResumeAsync(http.Program().Id, ct);
        cache.Forget(program.Id);
        return TypedResults.Ok(await FullViewAsync(db, program, chain.ChainId, ct));
    }

    private static async Task<ProgramView> FullViewAsync(LoyaltyDbContext db, LoyaltyProgram p, long chainId, CancellationToken ct)
    {
        var txs = await ProgramPause.RecentTxsAsync(db, p.Id, ct);
        var sunset = await db.Set<Loyalty.Chain.Sunset.ProgramSunset>().AsNoTracking().SingleOrDefaultAsync(s => s.ProgramId == p.Id, ct);
        return View(p, chainId) with
        {
            // A sunset shows as the program's status (Sunsetting, then Sunset); underneath it stays Active so points still settle.
            Status = SunsetApi.StatusOf(p, sunset),
            Sunset = sunset is null ? null : SunsetApi.View(sunset, withActor: true),
            PauseTxs = txs.Select(t => new PauseTxView(t.Id, t.Purpose, t.To ?? "", t.Status.ToString(), t.Outcome?.ToString(), t.MinedHash, t.ErrorCode)).ToList(),
        };
    }

    private static async Task<Created<CreatedProgramView>> CreateAsync(CreateProgramRequest request, ProgramService programs,
        Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var created = await programs.CreateAsync(request, ct);
        return TypedResults.Created($"/v1/programs/{created.Program.Id}", new CreatedProgramView(View(created.Program, chain.ChainId), created.AdminKey));
    }

    private static async Task<Created<KeyView>> CreateKeyAsync(HttpContext http, CreateKeyRequest request, ApiKeyService keys,
        LoyaltyDbContext db, CancellationToken ct)
    {
        if (!ApiRoles.TryParseName(request.Role, out var role) || role == ApiRole.Member)
            throw new LoyaltyException("INVALID_ROLE", "role must be admin, shop or partner");
        var (key, plaintext) = keys.Create(http.Program().Id, role, request.Name?.Trim() is { Length: > 0 and <= 100 } n ? n : role.ToString());
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/programs/{key.ProgramId}/api-keys/{key.Id}", KeyOf(key, plaintext));
    }

    private static async Task<Ok<List<KeyView>>> ListKeysAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var keys = await db.Set<ApiKey>().AsNoTracking().Where(k => k.ProgramId == programId).OrderBy(k => k.Id).ToListAsync(ct);
        return TypedResults.Ok(keys.Select(k => KeyOf(k, null)).ToList());
    }

    private static async Task<Results<NoContent, NotFound>> RevokeKeyAsync(HttpContext http, long keyId, ApiKeyService keys,
        CancellationToken ct) =>
        await keys.RevokeAsync(http.Program().Id, keyId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static KeyView KeyOf(ApiKey k, string? plaintext) =>
        new(k.Id, k.Role.ToString().ToLowerInvariant(), k.Name, k.Prefix, k.CreatedAt, k.RevokedAt, plaintext);

    internal static ProgramView View(LoyaltyProgram p, long chainId) => new(p.Id, p.Name, p.PointName, p.PointSymbol, p.Decimals,
        p.Currency, p.PendingPeriodSeconds, p.TimeZone, p.Status.ToString(), p.StatusDetail, chainId, p.PointsContract,
        p.CollectibleContract, p.OperatorAddress, p.CreatedAt, null,
        new ExpiryPolicyView(p.ExpiryPolicy.ToString().ToLowerInvariant(), p.ExpiryMonths, p.ExpiryDays, p.ExpiryRoundToMonthEnd),
        p.ReturnPolicy.ToString().ToLowerInvariant(), p.Relayer, p.ClaimSigner, p.ServiceAdmin);
}
