using System.Text.Json;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Members;

/// <summary>
/// A profile change. Absent fields are left alone; <c>null</c> clears a field. Attribute keys merge, and a null
/// value removes the key. Consents set a flag and stamp the time it was given or withdrawn.
/// </summary>
public sealed record ProfilePatch(
    bool HasEmail, string? Email,
    bool HasPhone, string? Phone,
    bool HasBirthday, DateOnly? Birthday,
    IReadOnlyDictionary<string, string?>? Attributes,
    IReadOnlyDictionary<string, bool>? Consents);

public static class MemberBlocks
{
    /// <summary>403 MEMBER_BLOCKED with the reason: a blocked member earns, redeems, withdraws and links nothing.</summary>
    public static void EnsureNotBlocked(DateTime? blockedAt, string? reason)
    {
        if (blockedAt is not null)
            throw new LoyaltyException("MEMBER_BLOCKED", $"the member is blocked: {reason}", 403);
    }

    public static void EnsureNotBlocked(Member member) => EnsureNotBlocked(member.BlockedAt, member.BlockedReason);

    /// <summary>Reads the flag as committed (call it under the member's lock, inside the write transaction).</summary>
    public static async Task EnsureNotBlockedAsync(LoyaltyDbContext db, long memberId, CancellationToken ct)
    {
        var row = await db.Set<Member>().AsNoTracking().Where(m => m.Id == memberId)
            .Select(m => new { m.BlockedAt, m.BlockedReason }).SingleAsync(ct);
        EnsureNotBlocked(row.BlockedAt, row.BlockedReason);
    }
}

public sealed partial class MemberService
{
    public const int MaxAttributes = 50;
    public const int MaxConsents = 20;

    public static readonly JsonSerializerOptions ProfileJson = new(JsonSerializerDefaults.Web);

    /// <summary>Parses a PATCH body: unknown fields (or, for a member token, fields a member may not change) are refused.</summary>
    public static ProfilePatch ParsePatch(JsonElement body, bool byMember)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new LoyaltyException("MALFORMED_JSON", "the body must be a JSON object");
        bool hasEmail = false, hasPhone = false, hasBirthday = false;
        string? email = null, phone = null;
        DateOnly? birthday = null;
        Dictionary<string, string?>? attributes = null;
        Dictionary<string, bool>? consents = null;
        foreach (var p in body.EnumerateObject())
        {
            switch (p.Name)
            {
                case "email":
                    hasEmail = true;
                    email = StringOrNull(p.Value, "email", 254);
                    if (email is not null && (!email.Contains('@') || email.Any(char.IsWhiteSpace)))
                        throw new LoyaltyException("INVALID_PROFILE", "email is not an e-mail address");
                    break;
                case "phone":
                    hasPhone = true;
                    phone = StringOrNull(p.Value, "phone", 32);
                    break;
                case "birthday":
                    hasBirthday = true;
                    var text = StringOrNull(p.Value, "birthday", 10);
                    if (text is not null)
                    {
                        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", out var day) || day.Year < 1900)
                            throw new LoyaltyException("INVALID_PROFILE", "birthday must be a date yyyy-MM-dd");
                        birthday = day;
                    }
                    break;
                case "attributes":
                    // Attributes feed reward eligibility and segments: only the brand sets them.
                    if (byMember) throw new LoyaltyException("FIELD_NOT_ALLOWED", "a member may change email, phone, birthday and consents only", 403);
                    if (p.Value.ValueKind != JsonValueKind.Object) throw new LoyaltyException("INVALID_PROFILE", "attributes must be an object");
                    attributes = [];
                    foreach (var a in p.Value.EnumerateObject())
                    {
                        if (a.Name.Length is 0 or > 64) throw new LoyaltyException("INVALID_PROFILE", "attribute keys are 1-64 characters");
                        attributes[a.Name] = a.Value.ValueKind == JsonValueKind.Null ? null
                            : a.Value.ValueKind == JsonValueKind.String && a.Value.GetString()!.Length <= 256 && !a.Value.GetString()!.Contains('\0')
                                ? a.Value.GetString()
                                : throw new LoyaltyException("INVALID_PROFILE", $"attribute '{a.Name}' must be a string of at most 256 characters, or null");
                    }
                    break;
                case "consents":
                    if (p.Value.ValueKind != JsonValueKind.Object) throw new LoyaltyException("INVALID_CONSENT", "consents must be an object of booleans");
                    consents = [];
                    foreach (var c in p.Value.EnumerateObject())
                    {
                        if (!Validation.Ids.IsValid(c.Name) || c.Name.Length > 64)
                            throw new LoyaltyException("INVALID_CONSENT", "consent names are 1-64 letters, digits, '-', '_' or '.'");
                        consents[c.Name] = c.Value.ValueKind switch
                        {
                            JsonValueKind.True => true,
                            JsonValueKind.False => false,
                            _ => throw new LoyaltyException("INVALID_CONSENT", $"consent '{c.Name}' must be true or false"),
                        };
                    }
                    if (consents.Count > MaxConsents) throw new LoyaltyException("INVALID_CONSENT", $"at most {MaxConsents} consent flags");
                    break;
                default:
                    throw new LoyaltyException("UNKNOWN_FIELD", $"'{p.Name}' cannot be changed here (email, phone, birthday, attributes, consents)");
            }
        }
        return new ProfilePatch(hasEmail, email, hasPhone, phone, hasBirthday, birthday, attributes, consents);
    }

    private static string? StringOrNull(JsonElement v, string field, int max) => v.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String when v.GetString() is { } s && s.Trim().Length is > 0 && s.Length <= max && !s.Contains('\0') => s.Trim(),
        _ => throw new LoyaltyException("INVALID_PROFILE", $"{field} must be a string of 1-{max} characters, or null"),
    };

    /// <summary>Applies a profile change in one write transaction; an erased profile can be filled again and erased again.</summary>
    public async Task<MemberProfile> PatchProfileAsync(Member member, ProfilePatch patch, CancellationToken ct) =>
        await db.InWriteTransactionAsync(async c =>
        {
            var profile = await db.Set<MemberProfile>().SingleAsync(p => p.MemberId == member.Id, c);
            var now = time.GetUtcNow().UtcDateTime;
            if (patch.HasEmail) profile.Email = patch.Email;
            if (patch.HasPhone) profile.Phone = patch.Phone;
            if (patch.HasBirthday) profile.Birthday = patch.Birthday;
            if (patch.Attributes is { } attributes)
            {
                var merged = new Dictionary<string, string>(profile.Attributes);
                foreach (var (key, value) in attributes)
                    if (value is null) merged.Remove(key);
                    else merged[key] = value;
                if (merged.Count > MaxAttributes) throw new LoyaltyException("INVALID_PROFILE", $"at most {MaxAttributes} attributes");
                profile.Attributes = merged;
            }
            if (patch.Consents is { } consents)
            {
                var merged = new Dictionary<string, ConsentState>(profile.Consents);
                // The time moves only when the flag does: re-sending the same answer is not a new consent.
                foreach (var (name, granted) in consents)
                    if (!merged.TryGetValue(name, out var was) || was.Granted != granted) merged[name] = new ConsentState(granted, now);
                if (merged.Count > MaxConsents) throw new LoyaltyException("INVALID_CONSENT", $"at most {MaxConsents} consent flags");
                profile.Consents = merged;
            }
            profile.UpdatedAt = now;
            await db.SaveChangesAsync(c);
            return profile;
        }, ct);

    /// <summary>Blocks (or re-blocks with a new reason) and audits who did it. Checked by intake, redemption, withdrawal, link.</summary>
    public async Task<Member> BlockAsync(Member member, string? reason, string actor, CancellationToken ct)
    {
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 200 || reason.Contains('\0'))
            throw new LoyaltyException("INVALID_REASON", "reason is required (1-200 characters)");
        return await SetBlockAsync(member, MemberBlockAudit.Block, reason, actor, ct);
    }

    public Task<Member> UnblockAsync(Member member, string actor, CancellationToken ct) =>
        SetBlockAsync(member, MemberBlockAudit.Unblock, null, actor, ct);

    private async Task<Member> SetBlockAsync(Member member, string action, string? reason, string actor, CancellationToken ct)
    {
        await db.InWriteTransactionAsync(async c =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            await db.Set<Member>().Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.BlockedAt, action == MemberBlockAudit.Block ? now : null)
                .SetProperty(m => m.BlockedReason, reason), c);
            db.Set<MemberBlockAudit>().Add(new MemberBlockAudit
            {
                ProgramId = member.ProgramId, MemberId = member.Id, Action = action, Reason = reason, Actor = actor, At = now,
            });
            await db.SaveChangesAsync(c);
            return 0;
        }, ct);
        return await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == member.Id, ct);
    }
}
