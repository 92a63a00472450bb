using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// An accepted shop event (purchase, return, or any brand-defined action). Unique per (program, type,
/// external id), so the same event sent twice is credited once even without an Idempotency-Key.
/// </summary>
public sealed class LoyaltyEvent
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public string Type { get; set; } = "";
    public string ExternalId { get; set; } = "";
    public long? Amount { get; set; }
    public string? Currency { get; set; }
    /// <summary>For a return: the purchase it refers to.</summary>
    public long? RelatedEventId { get; set; }
    /// <summary>For a purchase: how much of its amount has been returned so far.</summary>
    public long Refunded { get; set; }
    public long Points { get; set; }
    /// <summary>For a return: the points it should have clawed back but could not (kept by policy, spent, or in the member's own wallet).</summary>
    public long Unrecovered { get; set; }
    /// <summary>Which rules fired and why, as returned to the caller (JSON).</summary>
    public string Evaluation { get; set; } = "[]";
    public DateTime OccurredAt { get; set; }
    public DateTime ReceivedAt { get; set; }
}

/// <summary>
/// A stored response for an Idempotency-Key (Stripe semantics: replayed for the same request, 422 for another).
/// Keys are per (program, endpoint scope), so one key used on two endpoints means two requests.
/// </summary>
public sealed class IdempotencyRecord
{
    /// <summary>Claimed by a request still running: its answer is not known yet.</summary>
    public const int InProgress = 0;

    public long Id { get; set; }
    /// <summary>0 for calls outside any program (creating a program).</summary>
    public long ProgramId { get; set; }
    /// <summary>The endpoint's scope name, e.g. "events" or "redemptions".</summary>
    public string Scope { get; set; } = "";
    public string Key { get; set; } = "";
    public string RequestHash { get; set; } = "";
    /// <summary><see cref="InProgress"/> while claimed, then the first answer's status.</summary>
    public int StatusCode { get; set; }
    public string ResponseBody { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

internal sealed class LoyaltyEventConfiguration : IEntityTypeConfiguration<LoyaltyEvent>, IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<LoyaltyEvent> b)
    {
        b.ToTable("Events");
        b.Property(x => x.Type).HasMaxLength(64);
        b.Property(x => x.ExternalId).HasMaxLength(128);
        b.HasIndex(x => new { x.ProgramId, x.Type, x.ExternalId }).IsUnique();
        b.HasIndex(x => new { x.ProgramId, x.MemberId });
        b.HasIndex(x => new { x.ProgramId, x.Id }); // the event log pages by id within a program
    }

    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.ToTable("IdempotencyKeys");
        b.Property(x => x.Scope).HasMaxLength(32);
        b.Property(x => x.Key).HasMaxLength(255);
        b.HasIndex(x => new { x.ProgramId, x.Scope, x.Key }).IsUnique();
    }
}
