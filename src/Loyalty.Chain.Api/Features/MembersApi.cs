using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Members, their balances and their history. Points are decimal strings (smallest token unit).</summary>
public static class MembersApi
{
    public sealed record BalanceView(string Pending, string Available, string Reserved, string OnChain, string LifetimeEarned);
    public sealed record BlockedView(string? Reason, DateTime At);
    public sealed record MemberView(string MemberId, string WalletAddress, string WalletKind, string? Tier, DateTime CreatedAt, BalanceView Balance,
        BlockedView? Blocked = null, IReadOnlyList<ExpiringView>? ExpiringSoon = null, IReadOnlyList<PendingLotView>? PendingLots = null)
    {
        /// <summary>The tier, where it comes from and the progress to the next level (Tiers/TierService).</summary>
        public Loyalty.Chain.Tiers.TierStatusView? TierStatus { get; init; }
    }
    /// <summary>Available points that expire on <paramref name="At"/> (within the next 30 days).</summary>
    public sealed record ExpiringView(string Amount, DateTime At);
    /// <summary>Pending points that become available at <paramref name="AvailableAt"/> (the end of their return window).</summary>
    public sealed record PendingLotView(string Amount, DateTime AvailableAt);
    public sealed record HistoryItem(long Id, DateTime At, string Kind, string Account, string Amount, string? EventType,
        string? EventId, string? Note, string? MintStatus, string? TxHash);
    public sealed record HistoryPage(IReadOnlyList<HistoryItem> Items, long? NextBefore);

    public static RouteGroupBuilder MapMembers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/members").WithTags("Members");
        group.MapPost("/", EnrolAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop).WithIdempotency("members");
        group.MapGet("/{memberId}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        group.MapGet("/{memberId}/history", HistoryAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        // Admin only: a member token may link a wallet and withdraw, so a shop (till) key must not be able to mint one.
        group.MapPost("/{memberId}/tokens", IssueTokenAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-tokens", secretFields: "token");
        // The member's own token (or portal session) reads its own data; a shop key never (a till has no need of it).
        group.MapGet("/{memberId}/export", ExportAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member);
        group.MapDelete("/{memberId}/profile", EraseAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-erase");
        // Erasure plus the end of the external-id mapping (README "Personal data"): the member cannot be addressed again.
        group.MapPost("/{memberId}/forget", ForgetAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-forget");
        group.MapMemberManagement();
        return group;
    }

    private static async Task<Results<Created<MemberView>, Ok<MemberView>>> EnrolAsync(HttpContext http, EnrolRequest request,
        MemberService members, LoyaltyDbContext db, CancellationToken ct)
    {
        var (member, created) = await members.EnrolAsync(http.Program(), request, ct);
        var view = await ViewAsync(http, db, member, ct);
        return created ? TypedResults.Created($"/v1/programs/{member.ProgramId}/members/{member.ExternalId}", view) : TypedResults.Ok(view);
    }

    /// <summary>The most frequent read: one statement for member, balance and tier, one per part that applies (MemberRead).</summary>
    private static async Task<Ok<MemberView>> GetAsync(HttpContext http, string memberId, LoyaltyDbContext db, TimeProvider time, CancellationToken ct)
    {
        MemberService.ValidateExternalId(memberId);
        var program = http.Program();
        var read = await MemberRead.LoadAsync(db, program.Id, memberId, ct)
                   ?? throw new LoyaltyException("UNKNOWN_MEMBER", $"no member '{memberId}' in this program", 404);
        var now = time.GetUtcNow().UtcDateTime;
        return TypedResults.Ok(await ViewAsync(program, db, read.Member, read.Balance, now, ct) with
        {
            TierStatus = Loyalty.Chain.Tiers.TierService.Status(read.TierPolicy, read.Member, read.TierState, [.. read.Buckets], now, program.Zone),
        });
    }

    public sealed record MemberTokenView(string Token, DateTimeOffset ExpiresAt);

    /// <summary>A short-lived token the brand's backend hands to the member's app (Authorization: Bearer).</summary>
    private static async Task<Ok<MemberTokenView>> IssueTokenAsync(HttpContext http, string memberId, MemberService members,
        MemberTokens tokens, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var (token, expires) = await tokens.IssueAsync(member.ProgramId, member.Id, ct);
        return TypedResults.Ok(new MemberTokenView(token, expires));
    }

    private static async Task<NoContent> EraseAsync(HttpContext http, string memberId, MemberService members, CancellationToken ct)
    {
        await members.EraseProfileAsync(await members.GetAsync(http.Program().Id, memberId, ct), ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> ForgetAsync(HttpContext http, string memberId, MemberService members, CancellationToken ct)
    {
        await members.ForgetAsync(await members.GetAsync(http.Program().Id, memberId, ct), ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Everything the service holds about the member, as JSON (GDPR access and portability): profile and consents, wallets
    /// by address, balances, ledger, events, redemptions and coupons, collectibles, referrals, challenges, tier, sessions
    /// (metadata), webhook events naming the member. Never a key, a token or a session secret.
    /// </summary>
    private static async Task<Ok<System.Text.Json.Nodes.JsonObject>> ExportAsync(HttpContext http, string memberId, MemberService members,
        MemberDataExport export, ILoggerFactory loggers, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var caller = http.Caller();
        // No audit table records admin reads of personal data; the log names who read whom by internal id (the external
        // id may be an e-mail address and stays out of logs).
        if (caller.Role != ApiRole.Member)
            loggers.CreateLogger(typeof(MembersApi)).LogInformation("Member data export of member {MemberKey} in program {ProgramId} by {Actor}",
                member.Id, member.ProgramId, caller.Actor);
        return TypedResults.Ok(await export.ExportAsync(member, ct));
    }

    /// <summary>Every movement, newest first, with the mint transaction that carried it on chain.</summary>
    private static async Task<Ok<HistoryPage>> HistoryAsync(HttpContext http, string memberId, long? before, int? limit,
        MemberService members, LoyaltyDbContext db, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var take = Math.Clamp(limit ?? 50, 1, 200);
        var query = db.Set<LedgerEntry>().AsNoTracking().Where(e => e.ProgramId == member.ProgramId && e.MemberId == member.Id);
        if (before is not null) query = query.Where(e => e.Id < before);
        var rows = await (from e in query
                          join ev in db.Set<LoyaltyEvent>() on e.EventId equals ev.Id into evs
                          from ev in evs.DefaultIfEmpty()
                          join i in db.Set<MintIntent>() on e.MintIntentId equals i.Id into ins
                          from i in ins.DefaultIfEmpty()
                          join b in db.Set<SettlementBatch>() on i.BatchId equals b.Id into bs
                          from b in bs.DefaultIfEmpty()
                          join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id into ts
                          from t in ts.DefaultIfEmpty()
                          orderby e.Id descending
                          select new { e, EventType = ev.Type, EventId = ev.ExternalId, MintStatus = (IntentStatus?)i.Status, t.MinedHash })
            .Take(take + 1).ToListAsync(ct);
        var items = rows.Take(take).Select(r => new HistoryItem(r.e.Id, r.e.CreatedAt, r.e.Kind.ToString(), r.e.Account.ToString(),
            r.e.Amount.ToString(), r.EventType, r.EventId, r.e.Note, r.MintStatus?.ToString(), r.MinedHash)).ToList();
        return TypedResults.Ok(new HistoryPage(items, rows.Count > take ? items[^1].Id : null));
    }

    /// <summary>The member with balances, what expires soon and when pending points become available, under the request's program (already loaded by the auth filter).</summary>
    internal static async Task<MemberView> ViewAsync(HttpContext http, LoyaltyDbContext db, Member m, CancellationToken ct)
    {
        var b = await db.Set<MemberBalance>().AsNoTracking().SingleAsync(x => x.MemberId == m.Id, ct);
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        return await ViewAsync(http.Program(), db, m, b, now, ct);
    }

    private static async Task<MemberView> ViewAsync(Loyalty.Chain.Programs.LoyaltyProgram program, LoyaltyDbContext db, Member m, MemberBalance b,
        DateTime now, CancellationToken ct)
    {
        var soon = await Loyalty.Chain.Expiry.ExpiryService.SoonAsync(db, program, m, b.Available, now, TimeSpan.FromDays(30), ct);
        var pending = b.Pending > 0 ? await MaturationService.PendingLotsAsync(db, m.ProgramId, m.Id, ct) : [];
        return View(m, b) with
        {
            ExpiringSoon = soon.Select(x => new ExpiringView(x.Amount.ToString(), x.At)).ToList(),
            PendingLots = pending.Select(x => new PendingLotView(x.Amount.ToString(), x.AvailableAt)).ToList(),
        };
    }

    internal static MemberView View(Member m, MemberBalance b) => new(m.ExternalId, m.WalletAddress, m.WalletKind.ToString(), m.Tier, m.CreatedAt,
        new BalanceView(b.Pending.ToString(), b.Available.ToString(), b.Reserved.ToString(), b.OnChain.ToString(), b.LifetimeEarned.ToString()),
        m.BlockedAt is { } at ? new BlockedView(m.BlockedReason, at) : null);
}
