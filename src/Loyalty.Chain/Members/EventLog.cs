using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Members;

public sealed record EventLogFilterText(string? Type, string? From, string? To, string? Limit, string? Cursor);

/// <summary>
/// One accepted event and what it earned: its points, the state of its accrual (Pending, Matured, Reversed, or
/// None when it earned nothing), the rule evaluation stored with it, and for a return the order it returned.
/// </summary>
public sealed record EventLogItem(long Id, string Type, string EventId, string MemberId, string? Amount, string? Currency, string Points,
    string Status, JsonElement Evaluation, string? RelatedOrderId, DateTime OccurredAt, DateTime ReceivedAt);

public sealed record EventLogPage(IReadOnlyList<EventLogItem> Items, string? NextCursor);

/// <summary>The raw event log, newest first, per program or per member.</summary>
public sealed partial class EventLog(LoyaltyDbContext db)
{
    public const string CursorKind = "events";

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,63}\z")]
    private static partial Regex TypePattern();

    public async Task<EventLogPage> ListAsync(long programId, long? memberId, EventLogFilterText q, CancellationToken ct)
    {
        var type = q.Type?.Trim().ToLowerInvariant();
        if (q.Type is not null && !TypePattern().IsMatch(type!))
            throw new LoyaltyException("INVALID_FILTER", "type must be an event type: lower-case letters, digits, '-' or '_'");
        var from = PageCursor.Instant(q.From, "from");
        var to = PageCursor.Instant(q.To, "to");
        if (from is not null && to is not null && to <= from) throw new LoyaltyException("INVALID_FILTER", "to must be after from");
        var limit = PageCursor.Limit(q.Limit);
        var before = PageCursor.Decode(CursorKind, q.Cursor);

        var events = db.Set<LoyaltyEvent>().AsNoTracking().Where(e => e.ProgramId == programId);
        if (memberId is { } mid) events = events.Where(e => e.MemberId == mid);
        if (before is { } b) events = events.Where(e => e.Id < b);
        if (type is not null) events = events.Where(e => e.Type == type);
        if (from is { } f) events = events.Where(e => e.OccurredAt >= f);
        if (to is { } t) events = events.Where(e => e.OccurredAt < t);
        var rows = await (from e in events
                          join m in db.Set<Member>() on e.MemberId equals m.Id
                          join r in db.Set<LoyaltyEvent>() on e.RelatedEventId equals r.Id into rs
                          from r in rs.DefaultIfEmpty()
                          join a in db.Set<Accrual>() on e.Id equals a.EventId into acs
                          from a in acs.DefaultIfEmpty()
                          orderby e.Id descending
                          select new { e, MemberId = m.ExternalId, Related = r.ExternalId, Accrual = (AccrualStatus?)a.Status })
            .Take(limit + 1).ToListAsync(ct);
        var items = rows.Take(limit).Select(x => new EventLogItem(x.e.Id, x.e.Type, x.e.ExternalId, x.MemberId, x.e.Amount?.ToString(),
            x.e.Currency, x.e.Points.ToString(), x.Accrual?.ToString() ?? "None", Parse(x.e.Evaluation), x.Related, x.e.OccurredAt,
            x.e.ReceivedAt)).ToList();
        return new EventLogPage(items, rows.Count > limit ? PageCursor.Encode(CursorKind, items[^1].Id) : null);
    }

    private static JsonElement Parse(string evaluation)
    {
        try { return JsonDocument.Parse(string.IsNullOrEmpty(evaluation) ? "[]" : evaluation).RootElement.Clone(); }
        catch (JsonException) { return JsonDocument.Parse("[]").RootElement.Clone(); }
    }
}
