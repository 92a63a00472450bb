using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Members;

public sealed record EnrolRequest(string ExternalId, string? Email, string? Phone, DateOnly? Birthday, string? Tier,
    Dictionary<string, string>? Attributes, string? ReferralCode = null);

/// <summary>Enrols members (each gets a custodial wallet) and keeps their profile apart from the ledger.</summary>
public sealed partial class MemberService(LoyaltyDbContext db, CustodyService custody, TimeProvider time, Referrals.ReferralService referrals)
{
    public static void ValidateExternalId(string? externalId, string field = "memberId") => Validation.Ids.Validate(externalId, field);

    /// <summary>Enrols a member, or returns the existing one (Created = false) for a known external id.</summary>
    public async Task<(Member Member, bool Created)> EnrolAsync(LoyaltyProgram program, EnrolRequest request, CancellationToken ct)
    {
        ValidateExternalId(request.ExternalId);
        if (request.Email is { Length: > 254 } || request.Phone is { Length: > 32 } || request.Tier is { Length: > 64 }
            || request.Attributes is { Count: > 50 } || request.Attributes?.Any(a => a.Key.Length > 64 || a.Value is not { Length: <= 256 }) == true)
            throw new LoyaltyException("INVALID_PROFILE", "profile fields are too long, attribute values null, or too many attributes (max 50)");
        if (await FindAsync(program.Id, request.ExternalId, ct) is { } existing) return (existing, false);

        try
        {
            return await db.InWriteTransactionAsync(ct => CreateAsync(program, request, ct), ct);
        }
        catch (DbUpdateException)
        {
            // Most likely enrolled concurrently by another request (unique external id): return that one.
            db.ChangeTracker.Clear();
            return (await FindAsync(program.Id, request.ExternalId, ct) ?? throw new LoyaltyException("ENROL_CONFLICT",
                "the member could not be enrolled; retry", 409), false);
        }
    }

    private async Task<(Member Member, bool Created)> CreateAsync(LoyaltyProgram program, EnrolRequest request, CancellationToken ct)
    {
        var wallet = await custody.CreateWalletAsync(program.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var member = new Member
        {
            ProgramId = program.Id,
            ExternalId = request.ExternalId,
            WalletAddress = wallet.Address,
            WalletKind = WalletKind.Custodial,
            CustodialIndex = wallet.Index,
            CustodialAddress = wallet.Address,
            Tier = request.Tier,
            CreatedAt = now,
        };
        db.Set<Member>().Add(member);
        await db.SaveChangesAsync(ct);
        db.Set<MemberProfile>().Add(new MemberProfile
        {
            MemberId = member.Id, ProgramId = program.Id, Email = request.Email, Phone = request.Phone,
            Birthday = request.Birthday, Attributes = request.Attributes ?? new(), UpdatedAt = now,
        });
        db.Set<MemberBalance>().Add(new MemberBalance { MemberId = member.Id, ProgramId = program.Id });
        // With a tier policy the tier is computed, not taken from the request (a shop key must not grant Gold).
        await Tiers.TierService.OnEnrolledAsync(db, program, member, now, ct);
        Webhooks.WebhookOutbox.Enqueue(db, program.Id, "member.enrolled", member.Id, new { programId = program.Id, memberId = member.ExternalId, tier = member.Tier });
        await db.SaveChangesAsync(ct);
        // Referrals: an unknown code throws and rolls this enrolment back; a known one records the referral.
        await referrals.OnEnrolledAsync(program, member, request, now, ct);
        return (member, true);
    }

    public Task<Member?> FindAsync(long programId, string externalId, CancellationToken ct) =>
        db.Set<Member>().AsNoTracking().SingleOrDefaultAsync(m => m.ProgramId == programId && m.ExternalId == externalId, ct);

    public async Task<Member> GetAsync(long programId, string externalId, CancellationToken ct)
    {
        ValidateExternalId(externalId);
        return await FindAsync(programId, externalId, ct)
               ?? throw new LoyaltyException("UNKNOWN_MEMBER", $"no member '{externalId}' in this program", 404);
    }

    /// <summary>Erases personal data (right to be forgotten); the ledger keeps only the member id.</summary>
    public Task EraseProfileAsync(Member member, CancellationToken ct) =>
        db.InWriteTransactionAsync(ct => EraseProfileCoreAsync(member, ct), ct);

    /// <summary>
    /// Erasure and the end of the mapping: after the profile, the member row's external id (the one column that maps the
    /// shop's customer id to the member) is replaced by <see cref="Pseudonym"/>, which no request can address, and the
    /// member's portal sessions (which name it) are deleted. The books, keyed by the internal id, stay as they were.
    /// The same customer id enrolled again is a new member.
    /// </summary>
    public Task ForgetAsync(Member member, CancellationToken ct) => db.InWriteTransactionAsync(async ct =>
    {
        await EraseProfileCoreAsync(member, ct);
        await db.Set<Access.MemberSession>().Where(x => x.ProgramId == member.ProgramId && x.MemberId == member.Id).ExecuteDeleteAsync(ct);
        await db.Set<Member>().Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.ExternalId, Pseudonym(member.Id)), ct);
    }, ct);

    /// <summary>What a forgotten member is listed as: "~" is outside the external-id alphabet, so no URL or event can name it.</summary>
    public static string Pseudonym(long memberId) => $"~{memberId}";

    private async Task EraseProfileCoreAsync(Member member, CancellationToken ct)
    {
        var profile = await db.Set<MemberProfile>().AsNoTracking().Where(p => p.MemberId == member.Id)
            .Select(p => new { p.Email, p.Phone }).SingleOrDefaultAsync(ct);
        // The leaderboard pseudonym and opt-in go with the profile: the member chose them, and a chosen name can identify.
        await db.Set<Leaderboards.LeaderboardProfile>().Where(p => p.MemberId == member.Id).ExecuteDeleteAsync(ct);
        await db.Set<MemberProfile>().Where(p => p.MemberId == member.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Email, (string?)null).SetProperty(p => p.Phone, (string?)null)
                .SetProperty(p => p.Birthday, (DateOnly?)null).SetProperty(p => p.Attributes, new Dictionary<string, string>())
                .SetProperty(p => p.Consents, new Dictionary<string, ConsentState>())
                .SetProperty(p => p.UpdatedAt, time.GetUtcNow().UtcDateTime), ct);
        await ScrubWebhookPayloadsAsync(member, ct);
        await ScrubIdempotentAnswersAsync(member, profile?.Email, profile?.Phone, ct);
    }

    /// <summary>
    /// Webhook payloads name the member by the shop's customer id, which may be an e-mail address. Erasure removes it from
    /// every stored payload of the member: an event not yet delivered goes out without it (signatures are computed at
    /// send time), and the delivery log keeps no copy.
    /// </summary>
    private async Task ScrubWebhookPayloadsAsync(Member member, CancellationToken ct)
    {
        var events = await db.Set<Webhooks.WebhookEvent>().Where(e => e.MemberId == member.Id).ToListAsync(ct);
        foreach (var e in events)
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(e.Payload) is not System.Text.Json.Nodes.JsonObject payload
                || payload["data"] is not System.Text.Json.Nodes.JsonObject data || data["memberErased"] is not null) continue;
            data["memberId"] = null;
            data["memberErased"] = true;
            e.Payload = payload.ToJsonString();
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Stored idempotent answers (a profile PATCH answer holds the e-mail, an event's the customer id) have no member
    /// column: the program's answers that contain one of the member's identifiers are found by text and scrubbed with
    /// <see cref="PersonalDataScrub"/>. They are rewritten, not deleted, so a retried key still replays (a redemption is
    /// never run twice) and is told <c>memberErased</c>.
    /// </summary>
    private async Task ScrubIdempotentAnswersAsync(Member member, string? email, string? phone, CancellationToken ct)
    {
        foreach (var needle in PersonalDataScrub.Needles(member.ExternalId, email, phone).ToList())
        {
            var candidates = await db.Set<IdempotencyRecord>()
                .Where(r => r.ProgramId == member.ProgramId && r.ResponseBody.Contains(needle)).ToListAsync(ct);
            foreach (var r in candidates)
                if (PersonalDataScrub.Scrub(r.ResponseBody, member.ExternalId, email, phone) is { } scrubbed) r.ResponseBody = scrubbed;
            await db.SaveChangesAsync(ct);
        }
    }
}
