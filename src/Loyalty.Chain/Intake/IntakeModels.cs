using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Chain.Earning;

namespace Loyalty.Chain.Intake;

/// <summary>
/// A shop event. Purchases carry an amount (decimal string or number, in the program's currency) and
/// optional line items; a return names the purchase (orderId) and optionally the refunded amount (default:
/// everything not yet returned); any other type is a brand-defined action (review, referral, survey...).
/// </summary>
public sealed class EventRequest
{
    public string? Type { get; set; }
    public string? MemberId { get; set; }
    /// <summary>The shop's id of this event (the order id for a purchase); unique per program and type.</summary>
    public string? EventId { get; set; }
    public JsonElement? Amount { get; set; }
    public string? Currency { get; set; }
    public DateTime? OccurredAt { get; set; }
    public List<EventLineRequest>? Lines { get; set; }
    /// <summary>For a return: the purchase's eventId.</summary>
    public string? OrderId { get; set; }
}

public sealed class EventLineRequest
{
    public string? Sku { get; set; }
    public string? Category { get; set; }
    public JsonElement? Amount { get; set; }
    public int? Quantity { get; set; }
}

/// <summary>Why a rule did or did not fire, as shown to the caller.</summary>
public sealed record RuleView(long RuleId, string Name, bool Fired, string Points, string Reason)
{
    public static RuleView From(RuleOutcome o) => new(o.RuleId, o.RuleName, o.Fired, o.Points.ToString(), o.Reason);
}

/// <summary>Points are decimal strings: in the token's smallest unit they can exceed 2^53.</summary>
public sealed record IntakeResponse(long Id, string Type, string EventId, string MemberId, string Points, string Status,
    DateTime? AvailableAt, IReadOnlyList<RuleView> Rules, string ClawedBack, string NotRecoverable)
{
    public bool Replayed { get; init; }
    /// <summary>The member's effective tier after this event (null when the program has no tier policy and none was set).</summary>
    public string? Tier { get; init; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
