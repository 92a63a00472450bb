using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Segments;

/// <summary>
/// The profile table read as text: attributes and consents are JSON columns, so segment conditions on them are substring
/// tests on the (ASCII-folded) JSON, which translate on SQLite and PostgreSQL alike. Mapped as a view of MemberProfiles,
/// so migrations never create anything for it.
/// </summary>
public sealed class ProfileText
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public DateOnly? Birthday { get; set; }
    public string Attributes { get; set; } = "{}";
    public string Consents { get; set; } = "{}";
}

internal sealed class ProfileTextConfiguration : IEntityTypeConfiguration<ProfileText>
{
    public void Configure(EntityTypeBuilder<ProfileText> b)
    {
        b.ToView("MemberProfiles");
        b.HasKey(x => x.MemberId);
    }
}

/// <summary>A segment's criteria as SQL over the members of one program: one query, no client evaluation.</summary>
public static class SegmentFilter
{
    public const string Purchase = "purchase";

    public static IQueryable<Member> Apply(LoyaltyDbContext db, IQueryable<Member> members, SegmentCriteria c)
    {
        var q = members;
        if (c.ExcludeBlocked) q = q.Where(m => m.BlockedAt == null);
        if (c.Tiers is { } tiers) q = q.Where(m => m.Tier != null && tiers.Contains(m.Tier.ToLower()));
        if (c.EnrolledSince is { } enrolled) q = q.Where(m => m.CreatedAt >= enrolled);

        var profiles = db.Set<ProfileText>();
        if (c.Attributes is { } attributes)
            foreach (var (key, value) in attributes)
            {
                var pattern = SegmentText.AttributePattern(key, value);
                q = q.Where(m => profiles.Any(p => p.MemberId == m.Id && p.Attributes.ToLower().Contains(pattern)));
            }
        if (c.Consent is { } consents)
            foreach (var name in consents)
            {
                var pattern = SegmentText.ConsentPattern(name);
                q = q.Where(m => profiles.Any(p => p.MemberId == m.Id && p.Consents.ToLower().Contains(pattern)));
            }
        if (c.BirthdayMonth is { } month)
            q = q.Where(m => profiles.Any(p => p.MemberId == m.Id && p.Birthday != null && p.Birthday.Value.Month == month));

        // Every correlated subquery names the program and member, so it seeks the (ProgramId, MemberId...) indexes per member.
        var purchases = db.Set<LoyaltyEvent>().Where(e => e.Type == Purchase);
        if (c.PurchasedSince is { } since) q = q.Where(m => purchases.Any(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id && e.OccurredAt >= since));
        if (c.NoPurchaseSince is { } lapsed) q = q.Where(m => !purchases.Any(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id && e.OccurredAt >= lapsed));
        if (c.PurchaseCount is (var cMin, var cMax, var cSince))
        {
            var counted = cSince is { } s ? purchases.Where(e => e.OccurredAt >= s) : purchases;
            if (cMin is { } min) q = q.Where(m => counted.Count(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id) >= min);
            if (cMax is { } max) q = q.Where(m => counted.Count(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id) <= max);
        }
        if (c.Spend is (var sMin, var sMax, var sSince))
        {
            var spent = sSince is { } s ? purchases.Where(e => e.OccurredAt >= s) : purchases;
            if (sMin is { } min) q = q.Where(m => spent.Where(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id).Sum(e => (e.Amount ?? 0) - e.Refunded) >= min);
            if (sMax is { } max) q = q.Where(m => spent.Where(e => e.ProgramId == m.ProgramId && e.MemberId == m.Id).Sum(e => (e.Amount ?? 0) - e.Refunded) <= max);
        }
        if (c.Balance is (var bMin, var bMax))
        {
            var balances = db.Set<MemberBalance>();
            if (bMin is { } min) q = q.Where(m => balances.Any(b => b.MemberId == m.Id && b.Available >= min));
            if (bMax is { } max) q = q.Where(m => !balances.Any(b => b.MemberId == m.Id && b.Available > max));
        }
        if (c.Categories is (var any, var catSince))
        {
            var bought = db.Set<EventCategory>().Where(x => any.Contains(x.Category));
            if (catSince is { } s) bought = bought.Where(x => x.OccurredAt >= s);
            q = q.Where(m => bought.Any(x => x.ProgramId == m.ProgramId && x.MemberId == m.Id));
        }
        return q;
    }
}

/// <summary>What the in-memory evaluator needs to know about one member (the same facts the SQL reads).</summary>
public sealed record MemberFacts
{
    public string? Tier { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? BlockedAt { get; init; }
    public DateOnly? Birthday { get; init; }
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
    public IReadOnlyDictionary<string, bool>? Consents { get; init; }
    public long? Available { get; init; }
    public IReadOnlyList<(DateTime OccurredAt, long Amount, long Refunded)> Purchases { get; init; } = [];
    public IReadOnlyList<(DateTime OccurredAt, string Category)> Categories { get; init; } = [];
}

/// <summary>The pure form of <see cref="SegmentFilter"/>: the same criteria over one member's facts. Tests hold the two equal.</summary>
public static class SegmentMatcher
{
    public static bool Matches(SegmentCriteria c, MemberFacts f)
    {
        if (c.ExcludeBlocked && f.BlockedAt is not null) return false;
        if (c.Tiers is { } tiers && (f.Tier is null || !tiers.Contains(SegmentText.Fold(f.Tier)))) return false;
        if (c.EnrolledSince is { } enrolled && f.CreatedAt < enrolled) return false;
        if (c.Attributes is { } attributes && !attributes.All(w => f.Attributes?.Any(a =>
                SegmentText.Fold(a.Key) == w.Key && SegmentText.Fold(a.Value) == w.Value) == true)) return false;
        if (c.Consent is { } consents && !consents.All(n => f.Consents?.Any(x => x.Value && SegmentText.Fold(x.Key) == n) == true)) return false;
        if (c.BirthdayMonth is { } month && f.Birthday?.Month != month) return false;
        if (c.PurchasedSince is { } since && !f.Purchases.Any(p => p.OccurredAt >= since)) return false;
        if (c.NoPurchaseSince is { } lapsed && f.Purchases.Any(p => p.OccurredAt >= lapsed)) return false;
        if (c.PurchaseCount is (var cMin, var cMax, var cSince))
        {
            var n = f.Purchases.Count(p => cSince is not { } s || p.OccurredAt >= s);
            if (n < cMin || n > cMax) return false;
        }
        if (c.Spend is (var sMin, var sMax, var sSince))
        {
            var spent = f.Purchases.Where(p => sSince is not { } s || p.OccurredAt >= s).Aggregate(0L, (t, p) => checked(t + p.Amount - p.Refunded));
            if (spent < sMin || spent > sMax) return false;
        }
        if (c.Balance is (var bMin, var bMax))
        {
            if (bMin is { } min && !(f.Available >= min)) return false;
            if (bMax is { } max && f.Available > max) return false;
        }
        if (c.Categories is (var any, var catSince)
            && !f.Categories.Any(x => any.Contains(x.Category) && (catSince is not { } s || x.OccurredAt >= s))) return false;
        return true;
    }
}
