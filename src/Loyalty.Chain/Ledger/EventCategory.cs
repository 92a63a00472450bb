using Loyalty.Chain.Earning;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// What an accepted event bought, per category: one row per (event, category), with the sum of that category's line
/// amounts. Written in the intake transaction for events with categorised lines, so behaviour over time ("bought coffee in
/// the last 30 days", a member's category history) is a range query instead of a re-parse of every request. Gross
/// amounts: a later return lowers the event's Refunded, not these rows.
/// </summary>
public sealed class EventCategory
{
    public const int MaxCategoryLength = 64;

    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public long EventId { get; set; }
    /// <summary>Trimmed and lower-cased, so "Coffee" and "coffee " are one category.</summary>
    public string Category { get; set; } = "";
    /// <summary>Sum of the event's line amounts in this category (minor units).</summary>
    public long Amount { get; set; }
    public DateTime OccurredAt { get; set; }

    /// <summary>The normal form categories are stored and compared in.</summary>
    public static string Normalize(string category) => category.Trim().ToLowerInvariant();

    /// <summary>One row per distinct category of <paramref name="lines"/> (lines without a category are left out).</summary>
    public static IEnumerable<EventCategory> For(long programId, long memberId, long eventId, DateTime occurredAt, IEnumerable<EventLine> lines) =>
        lines.Where(l => !string.IsNullOrWhiteSpace(l.Category))
            .GroupBy(l => Normalize(l.Category!), StringComparer.Ordinal)
            .Select(g => new EventCategory
            {
                ProgramId = programId, MemberId = memberId, EventId = eventId, Category = g.Key,
                Amount = g.Aggregate(0L, (sum, l) => checked(sum + l.Amount)), OccurredAt = occurredAt,
            });
}

internal sealed class EventCategoryConfiguration : IEntityTypeConfiguration<EventCategory>
{
    public void Configure(EntityTypeBuilder<EventCategory> b)
    {
        b.ToTable("EventCategories");
        b.Property(x => x.Category).HasMaxLength(EventCategory.MaxCategoryLength);
        // A member's purchases of given categories since a date (segments, recommendations): with the category in this index
        // the planner seeks the member's rows; with only (program, category, date) to use it scanned every buyer of the category.
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.Category, x.OccurredAt });
        b.HasIndex(x => new { x.ProgramId, x.Category, x.OccurredAt });
        b.HasIndex(x => x.EventId);
    }
}
