using System.Globalization;
using System.Text;
using System.Text.Json;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Members;

/// <summary>
/// Opaque cursors for id-ordered pages: base64url of "{kind}:{id}", so a cursor of one list is refused by another.
/// </summary>
public static class PageCursor
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static string Encode(string kind, long id) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{kind}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static long? Decode(string kind, string? cursor)
    {
        if (cursor is null) return null;
        try
        {
            if (cursor.Length is 0 or > 64) throw new FormatException();
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
            if (text.StartsWith(kind + ":", StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(kind.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
                return id;
        }
        catch (FormatException) { }
        throw new LoyaltyException("INVALID_CURSOR", "cursor is not one this list handed out");
    }

    public static int Limit(string? limit)
    {
        if (limit is null) return DefaultLimit;
        if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > MaxLimit)
            throw new LoyaltyException("INVALID_LIMIT", $"limit must be a whole number from 1 to {MaxLimit}");
        return n;
    }

    /// <summary>An ISO 8601 instant with an offset (or Z); anything else is INVALID_FILTER.</summary>
    public static DateTime? Instant(string? text, string field)
    {
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) || !HasOffset(text))
            throw new LoyaltyException("INVALID_FILTER", $"{field} must be an ISO 8601 time with an offset, e.g. 2026-01-31T00:00:00Z");
        return at.UtcDateTime;
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || text.EndsWith('z') || text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':';
}

/// <summary>The filters of GET /members, as the query string gave them (validated by <see cref="MemberQuery.Parse"/>).</summary>
public sealed record MemberFilterText(string? Tier, string? Attribute, string? ExternalIdPrefix, string? EnrolledFrom, string? EnrolledTo,
    string? BalanceAbove, string? Blocked, string? Limit, string? Cursor);

public sealed record MemberFilter(string? Tier, (string Key, string Value)? Attribute, string? ExternalIdPrefix, DateTime? EnrolledFrom,
    DateTime? EnrolledTo, long? BalanceAbove, bool? Blocked, int Limit, long? After);

/// <summary>Lists a program's members by id, on the (ProgramId, Id) index, with the filters applied in SQL.</summary>
public sealed class MemberQuery(LoyaltyDbContext db)
{
    public const string CursorKind = "members";

    public static MemberFilter Parse(MemberFilterText q)
    {
        if (q.Tier is { } tier && (tier.Length is 0 or > 64 || tier.Contains('\0')))
            throw new LoyaltyException("INVALID_FILTER", "tier must be 1-64 characters");
        (string, string)? attribute = null;
        if (q.Attribute is { } a)
        {
            var colon = a.IndexOf(':');
            if (colon <= 0 || colon > 64 || a.Length - colon - 1 > 256 || a.Contains('\0'))
                throw new LoyaltyException("INVALID_FILTER", "attribute must be key:value (key 1-64, value at most 256 characters)");
            attribute = (a[..colon], a[(colon + 1)..]);
        }
        if (q.ExternalIdPrefix is { } prefix && !Validation.Ids.IsValid(prefix))
            throw new LoyaltyException("INVALID_FILTER", "externalIdPrefix must be the start of a valid member id");
        var from = PageCursor.Instant(q.EnrolledFrom, "enrolledFrom");
        var to = PageCursor.Instant(q.EnrolledTo, "enrolledTo");
        if (from is not null && to is not null && to <= from) throw new LoyaltyException("INVALID_FILTER", "enrolledTo must be after enrolledFrom");
        long? above = null;
        if (q.BalanceAbove is not null)
        {
            if (!Validation.Amounts.TryParsePoints(q.BalanceAbove, out var points) || points < 0)
                throw new LoyaltyException("INVALID_AMOUNT", "balanceAbove must be a whole number of points as a plain decimal string");
            above = points;
        }
        bool? blocked = q.Blocked switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw new LoyaltyException("INVALID_FILTER", "blocked must be true or false"),
        };
        return new MemberFilter(q.Tier, attribute, q.ExternalIdPrefix, from, to, above, blocked, PageCursor.Limit(q.Limit),
            PageCursor.Decode(CursorKind, q.Cursor));
    }

    /// <summary>One page (limit + 1 read to know whether there is a next one).</summary>
    public async Task<(List<Member> Items, string? NextCursor)> ListAsync(long programId, MemberFilter f, CancellationToken ct)
    {
        var query = db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId);
        if (f.After is { } after) query = query.Where(m => m.Id > after);
        if (f.Tier is { } tier) query = query.Where(m => m.Tier == tier);
        if (f.ExternalIdPrefix is { } prefix)
        {
            // LIKE is case-insensitive on SQLite: the substring comparison keeps the prefix exact.
            var n = prefix.Length;
            query = query.Where(m => m.ExternalId.StartsWith(prefix) && m.ExternalId.Substring(0, n) == prefix);
        }
        if (f.EnrolledFrom is { } from) query = query.Where(m => m.CreatedAt >= from);
        if (f.EnrolledTo is { } to) query = query.Where(m => m.CreatedAt < to);
        if (f.Blocked is { } blocked) query = blocked ? query.Where(m => m.BlockedAt != null) : query.Where(m => m.BlockedAt == null);
        if (f.BalanceAbove is { } above)
            query = query.Where(m => db.Set<MemberBalance>().Any(b => b.MemberId == m.Id && b.Available > above));
        if (f.Attribute is { } attribute)
        {
            // Attributes are one JSON object per profile; the serialized "key":"value" pair (quotes included, so
            // no partial key or value matches) is searched case-sensitively in the program's profiles.
            var fragment = JsonSerializer.Serialize(attribute.Key) + ":" + JsonSerializer.Serialize(attribute.Value);
            var profiles = db.IsSqlite
                ? db.Set<MemberProfile>().FromSql($"SELECT * FROM \"MemberProfiles\" WHERE \"ProgramId\" = {programId} AND instr(\"Attributes\", {fragment}) > 0")
                : db.Set<MemberProfile>().FromSql($"SELECT * FROM \"MemberProfiles\" WHERE \"ProgramId\" = {programId} AND strpos(\"Attributes\", {fragment}) > 0");
            query = query.Where(m => profiles.Any(p => p.MemberId == m.Id));
        }
        var rows = await query.OrderBy(m => m.Id).Take(f.Limit + 1).ToListAsync(ct);
        var items = rows.Take(f.Limit).ToList();
        return (items, rows.Count > f.Limit ? PageCursor.Encode(CursorKind, items[^1].Id) : null);
    }
}
