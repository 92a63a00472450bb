using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Earning;

/// <summary>
/// Points one rule awarded one member for one event: what limits and campaign budgets count against.
/// </summary>
public sealed class RuleAward
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long RuleId { get; set; }
    public long MemberId { get; set; }
    public long EventId { get; set; }
    public long Points { get; set; }

    /// <summary>
    /// UTC. Write the event's OccurredAt here (and load usage for that instant): an event then counts
    /// against the day it happened on, and evaluating it again gives the same result.
    /// </summary>
    public DateTime AwardedAt { get; set; }
}

internal sealed class RuleAwardConfiguration : IEntityTypeConfiguration<RuleAward>
{
    public void Configure(EntityTypeBuilder<RuleAward> b)
    {
        b.ToTable("RuleAwards");
        // Daily and monthly limits: one member, a few rules, a time range.
        b.HasIndex(x => new { x.ProgramId, x.MemberId, x.RuleId, x.AwardedAt });
        // Campaign budgets: all members of one rule.
        b.HasIndex(x => new { x.ProgramId, x.RuleId });
        // An event is evaluated once per rule: a replay cannot award twice.
        b.HasIndex(x => new { x.EventId, x.RuleId }).IsUnique();
        // Rules are deactivated, never deleted, once they have awarded points.
        b.HasOne<EarningRule>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Restrict);
    }
}
