using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Analytics;

/// <summary>
/// Per roll-up key (<see cref="ProgramId"/> holds the key, which is the program id unless a rebuild made another key live:
/// <see cref="AnalyticsKeys"/>; every roll-up table below is keyed the same way): how far the roll-ups have folded each source table (high-water marks by id) and the running totals
/// that are not per day (liability legs, tier counts live in <see cref="AnalyticsTierCount"/>).
/// </summary>
public sealed class AnalyticsState
{
    public long ProgramId { get; set; }
    public long LedgerHwm { get; set; }
    public long EventHwm { get; set; }
    public long MemberHwm { get; set; }
    public long TierChangeHwm { get; set; }
    /// <summary>Every settlement batch with a lower id has been folded (finished); later ones may be folded out of order.</summary>
    public long BatchHwm { get; set; }
    public long MembersTotal { get; set; }
    public long Pending { get; set; }
    public long Available { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>One program's counters for one UTC day (<see cref="Day"/> is <see cref="DateOnly.DayNumber"/>).</summary>
public sealed class AnalyticsDaily
{
    public long ProgramId { get; set; }
    public int Day { get; set; }
    public long NewMembers { get; set; }
    public long ActiveMembers { get; set; }
    public long Purchases { get; set; }
    public long PurchaseAmount { get; set; }
    public long Accruals { get; set; }
    public long PointsIssued { get; set; }
    public long PointsRedeemed { get; set; }
    public long PointsExpired { get; set; }
    public long PointsClawedBack { get; set; }
    public BigInteger GasWei { get; set; }
}

/// <summary>That a member was active on a day, and how many purchases they made: the source of distinct-member counts over a range.</summary>
public sealed class AnalyticsMemberDay
{
    public long ProgramId { get; set; }
    public int Day { get; set; }
    public long MemberId { get; set; }
    public int Purchases { get; set; }
}

/// <summary>
/// Per member: the last day it was active and the days of its last two purchases (both the same day when it bought twice that
/// day; null when it has not). When no member-day lies after the end of a range (the usual dashboard range ends today), the
/// distinct counts of the range are index range counts here: active in the 30/90 days ending on <c>to</c> is
/// <see cref="LastActiveDay"/> &gt;= to - 29 (- 89), a purchaser of the range is <see cref="LastPurchaseDay"/> &gt;= from, a
/// repeat purchaser <see cref="PrevPurchaseDay"/> &gt;= from (two purchases on or after from).
/// </summary>
public sealed class AnalyticsMemberState
{
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public int LastActiveDay { get; set; }
    public int? LastPurchaseDay { get; set; }
    public int? PrevPurchaseDay { get; set; }

    /// <summary>Folds a day the member was active on, with the purchases it made that day (kept: the two latest purchase days).</summary>
    public void Add(int day, int purchases)
    {
        LastActiveDay = Math.Max(LastActiveDay, day);
        for (var i = 0; i < Math.Min(purchases, 2); i++)
        {
            if (LastPurchaseDay is not { } last || day >= last) (PrevPurchaseDay, LastPurchaseDay) = (LastPurchaseDay, day);
            else if (PrevPurchaseDay is not { } prev || day > prev) PrevPurchaseDay = day;
        }
    }
}

/// <summary>The last day a rule awarded a member points: members reached over a range that ends after every award, as one index range count.</summary>
public sealed class AnalyticsRuleMemberState
{
    public long ProgramId { get; set; }
    public long RuleId { get; set; }
    public long MemberId { get; set; }
    public int LastDay { get; set; }
}

/// <summary>Distinct members active in a calendar month (year * 12 + month - 1): one more each time a member-month row is new.</summary>
public sealed class AnalyticsMonthly
{
    public long ProgramId { get; set; }
    public int Month { get; set; }
    public long ActiveMembers { get; set; }
}

/// <summary>That a member was active in a calendar month (year * 12 + month - 1): counted once into its cohort row.</summary>
public sealed class AnalyticsMemberMonth
{
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public int Month { get; set; }
}

/// <summary>Members of the enrolment-month cohort active in month cohort + offset.</summary>
public sealed class AnalyticsCohortMonth
{
    public long ProgramId { get; set; }
    public int Cohort { get; set; }
    public int Offset { get; set; }
    public long ActiveMembers { get; set; }
}

/// <summary>Members per effective tier ("" for none).</summary>
public sealed class AnalyticsTierCount
{
    public long ProgramId { get; set; }
    public string Tier { get; set; } = "";
    public long Members { get; set; }
}

/// <summary>Tier changes from one tier to another on one day ("" for none).</summary>
public sealed class AnalyticsTierMigration
{
    public long ProgramId { get; set; }
    public int Day { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public long Members { get; set; }
}

/// <summary>Points one earning rule awarded on one day.</summary>
public sealed class AnalyticsRuleDaily
{
    public long ProgramId { get; set; }
    public int Day { get; set; }
    public long RuleId { get; set; }
    public string Name { get; set; } = "";
    public long Points { get; set; }
}

/// <summary>That a rule awarded a member points on a day: distinct members reached over a range.</summary>
public sealed class AnalyticsRuleMemberDay
{
    public long ProgramId { get; set; }
    public long RuleId { get; set; }
    public int Day { get; set; }
    public long MemberId { get; set; }
}

/// <summary>A finished settlement batch whose gas is already in <see cref="AnalyticsDaily.GasWei"/>.</summary>
public sealed class AnalyticsGasBatch
{
    public long BatchId { get; set; }
    public long ProgramId { get; set; }
}

/// <summary>
/// An id below a moved mark that was missing when the mark moved: on PostgreSQL a transaction still in flight holds it (ids
/// are not commit-ordered), or it was rolled back. The fold folds the row when it appears, and forgets the gap after
/// <see cref="AnalyticsRollup.GapTtl"/>.
/// </summary>
public sealed class AnalyticsGap
{
    public long ProgramId { get; set; }
    /// <summary>Which source table: <see cref="AnalyticsRollup"/>'s Members, Events, Ledger or Tiers.</summary>
    public string Source { get; set; } = "";
    public long Id { get; set; }
    public DateTime SeenAt { get; set; }
}

internal sealed class AnalyticsConfiguration : IEntityTypeConfiguration<AnalyticsState>, IEntityTypeConfiguration<AnalyticsDaily>,
    IEntityTypeConfiguration<AnalyticsMemberDay>, IEntityTypeConfiguration<AnalyticsMemberMonth>, IEntityTypeConfiguration<AnalyticsCohortMonth>,
    IEntityTypeConfiguration<AnalyticsTierCount>, IEntityTypeConfiguration<AnalyticsTierMigration>, IEntityTypeConfiguration<AnalyticsRuleDaily>,
    IEntityTypeConfiguration<AnalyticsRuleMemberDay>, IEntityTypeConfiguration<AnalyticsGasBatch>,
    IEntityTypeConfiguration<AnalyticsGap>, IEntityTypeConfiguration<AnalyticsMemberState>, IEntityTypeConfiguration<AnalyticsRuleMemberState>,
    IEntityTypeConfiguration<AnalyticsMonthly>
{
    public void Configure(EntityTypeBuilder<AnalyticsMemberState> b)
    {
        b.ToTable("AnalyticsMemberStates");
        b.HasKey(x => new { x.ProgramId, x.MemberId });
        b.HasIndex(x => new { x.ProgramId, x.LastActiveDay });
        b.HasIndex(x => new { x.ProgramId, x.LastPurchaseDay });
        b.HasIndex(x => new { x.ProgramId, x.PrevPurchaseDay });
    }

    public void Configure(EntityTypeBuilder<AnalyticsRuleMemberState> b)
    {
        b.ToTable("AnalyticsRuleMemberStates");
        b.HasKey(x => new { x.ProgramId, x.RuleId, x.MemberId });
        b.HasIndex(x => new { x.ProgramId, x.RuleId, x.LastDay });
    }

    public void Configure(EntityTypeBuilder<AnalyticsMonthly> b)
    {
        b.ToTable("AnalyticsMonthly");
        b.HasKey(x => new { x.ProgramId, x.Month });
    }

    public void Configure(EntityTypeBuilder<AnalyticsGap> b)
    {
        b.ToTable("AnalyticsGaps");
        b.HasKey(x => new { x.ProgramId, x.Source, x.Id });
        b.Property(x => x.Source).HasMaxLength(8);
        b.Property(x => x.Id).ValueGeneratedNever();
    }

    public void Configure(EntityTypeBuilder<AnalyticsState> b)
    {
        b.ToTable("AnalyticsStates");
        b.HasKey(x => x.ProgramId);
        b.Property(x => x.ProgramId).ValueGeneratedNever();
    }

    public void Configure(EntityTypeBuilder<AnalyticsDaily> b)
    {
        b.ToTable("AnalyticsDaily");
        b.HasKey(x => new { x.ProgramId, x.Day });
        b.Property(x => x.GasWei).HasMaxLength(80);
    }

    public void Configure(EntityTypeBuilder<AnalyticsMemberDay> b)
    {
        b.ToTable("AnalyticsMemberDays");
        b.HasKey(x => new { x.ProgramId, x.Day, x.MemberId });
    }

    public void Configure(EntityTypeBuilder<AnalyticsMemberMonth> b)
    {
        b.ToTable("AnalyticsMemberMonths");
        b.HasKey(x => new { x.ProgramId, x.MemberId, x.Month });
    }

    public void Configure(EntityTypeBuilder<AnalyticsCohortMonth> b)
    {
        b.ToTable("AnalyticsCohortMonths");
        b.HasKey(x => new { x.ProgramId, x.Cohort, x.Offset });
    }

    public void Configure(EntityTypeBuilder<AnalyticsTierCount> b)
    {
        b.ToTable("AnalyticsTierCounts");
        b.HasKey(x => new { x.ProgramId, x.Tier });
        b.Property(x => x.Tier).HasMaxLength(64);
    }

    public void Configure(EntityTypeBuilder<AnalyticsTierMigration> b)
    {
        b.ToTable("AnalyticsTierMigrations");
        b.HasKey(x => new { x.ProgramId, x.Day, x.From, x.To });
        b.Property(x => x.From).HasMaxLength(64);
        b.Property(x => x.To).HasMaxLength(64);
    }

    public void Configure(EntityTypeBuilder<AnalyticsRuleDaily> b)
    {
        b.ToTable("AnalyticsRuleDaily");
        b.HasKey(x => new { x.ProgramId, x.Day, x.RuleId });
        b.Property(x => x.Name).HasMaxLength(200);
    }

    public void Configure(EntityTypeBuilder<AnalyticsRuleMemberDay> b)
    {
        b.ToTable("AnalyticsRuleMemberDays");
        b.HasKey(x => new { x.ProgramId, x.RuleId, x.Day, x.MemberId });
    }

    public void Configure(EntityTypeBuilder<AnalyticsGasBatch> b)
    {
        b.ToTable("AnalyticsGasBatches");
        // Per roll-up key: a rebuild's shadow rows record the same batches again (AnalyticsKeys).
        b.HasKey(x => new { x.ProgramId, x.BatchId });
        b.Property(x => x.BatchId).ValueGeneratedNever();
    }
}

/// <summary>
/// Fills <see cref="AnalyticsMemberState"/>, <see cref="AnalyticsRuleMemberState"/> and <see cref="AnalyticsMonthly"/> from the
/// presence rows folded before they existed (every roll-up key, live or shadow), exactly as the fold would have: the migration
/// that adds them runs it (the same SQL on SQLite and PostgreSQL).
/// </summary>
public static class AnalyticsBackfill
{
    public const string Sql = """
        INSERT INTO "AnalyticsMemberStates" ("ProgramId", "MemberId", "LastActiveDay", "LastPurchaseDay", "PrevPurchaseDay")
        SELECT a."ProgramId", a."MemberId", a."LastDay", p."LastPurchaseDay", p."PrevPurchaseDay"
        FROM (SELECT "ProgramId", "MemberId", MAX("Day") AS "LastDay" FROM "AnalyticsMemberDays" GROUP BY "ProgramId", "MemberId") AS a
        LEFT JOIN (SELECT "ProgramId", "MemberId", MAX(CASE WHEN rn = 1 THEN "Day" END) AS "LastPurchaseDay",
                          MAX(CASE WHEN rn = 2 OR rn = 1 AND "Purchases" >= 2 THEN "Day" END) AS "PrevPurchaseDay"
                   FROM (SELECT "ProgramId", "MemberId", "Day", "Purchases",
                                ROW_NUMBER() OVER (PARTITION BY "ProgramId", "MemberId" ORDER BY "Day" DESC) AS rn
                         FROM "AnalyticsMemberDays" WHERE "Purchases" > 0) AS r
                   WHERE rn <= 2 GROUP BY "ProgramId", "MemberId") AS p ON p."ProgramId" = a."ProgramId" AND p."MemberId" = a."MemberId";
        INSERT INTO "AnalyticsRuleMemberStates" ("ProgramId", "RuleId", "MemberId", "LastDay")
        SELECT "ProgramId", "RuleId", "MemberId", MAX("Day") FROM "AnalyticsRuleMemberDays" GROUP BY "ProgramId", "RuleId", "MemberId";
        INSERT INTO "AnalyticsMonthly" ("ProgramId", "Month", "ActiveMembers")
        SELECT "ProgramId", "Month", COUNT(*) FROM "AnalyticsMemberMonths" GROUP BY "ProgramId", "Month";
        """;
}
