using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Donations;

/// <summary>Totals of one cause: what was burned for it, what is reserved and not yet burned, and by how many members.</summary>
public sealed record CauseTotals(long CauseId, string Name, long DonatedPoints, long PendingPoints, int Donors, int Donations);

/// <summary>A cause's editable fields; null leaves a field alone, an empty description or url clears it.</summary>
public sealed record CauseInput(string? Name, string? Description, string? Url, bool? Active);

/// <summary>
/// Causes and their totals. A donation is an ordinary redemption of a Donation reward (reserved, then burned by the burn
/// settlement), so the totals are one aggregate query over redemptions: Completed counts as donated, Reserved /
/// AwaitingSignature / Burning as pending; Cancelled, Voided, Refunded and Failed count nowhere.
/// </summary>
public sealed class DonationService(LoyaltyDbContext db, TimeProvider time)
{
    public const int MaxCausesPerProgram = 500;

    public async Task<Cause> CreateAsync(long programId, CauseInput input, CancellationToken ct)
    {
        var name = Name(input.Name) ?? throw new LoyaltyException("INVALID_CAUSE", $"name is required (1-{Cause.MaxName} characters)");
        var cause = new Cause
        {
            ProgramId = programId, Name = name, Description = Description(input.Description), Url = Url(input.Url), Active = input.Active ?? true,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        cause.UpdatedAt = cause.CreatedAt;
        return await db.InWriteTransactionAsync(async c =>
        {
            if (await db.Set<Cause>().CountAsync(x => x.ProgramId == programId, c) >= MaxCausesPerProgram)
                throw new LoyaltyException("TOO_MANY_CAUSES", $"at most {MaxCausesPerProgram} causes per program", 409);
            db.Set<Cause>().Add(cause);
            await db.SaveChangesAsync(c);
            return cause;
        }, ct);
    }

    public async Task<Cause> UpdateAsync(long programId, long causeId, CauseInput input, CancellationToken ct)
    {
        // Validate everything before anything changes.
        var name = input.Name is null ? null : Name(input.Name) ?? throw new LoyaltyException("INVALID_CAUSE", $"name must be 1-{Cause.MaxName} characters");
        var description = input.Description is null ? null : Description(input.Description);
        var url = input.Url is null ? null : Url(input.Url);
        return await db.InWriteTransactionAsync(async c =>
        {
            var cause = await db.Set<Cause>().SingleOrDefaultAsync(x => x.Id == causeId && x.ProgramId == programId, c)
                        ?? throw new LoyaltyException("UNKNOWN_CAUSE", "no such cause in this program", 404);
            if (name is not null) cause.Name = name;
            if (input.Description is not null) cause.Description = description;
            if (input.Url is not null) cause.Url = url;
            if (input.Active is { } active) cause.Active = active;
            cause.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(c);
            return cause;
        }, ct);
    }

    public Task<List<Cause>> ListAsync(long programId, bool activeOnly, CancellationToken ct) =>
        db.Set<Cause>().AsNoTracking().Where(c => c.ProgramId == programId && (!activeOnly || c.Active)).OrderBy(c => c.Id).ToListAsync(ct);

    public async Task<Cause> GetAsync(long programId, long causeId, bool activeOnly, CancellationToken ct) =>
        await db.Set<Cause>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == causeId && c.ProgramId == programId && (!activeOnly || c.Active), ct)
        ?? throw new LoyaltyException("UNKNOWN_CAUSE", "no such cause in this program", 404);

    /// <summary>Totals of the given causes (every cause listed, zeros included), from one GROUP BY over redemptions.</summary>
    public async Task<List<CauseTotals>> TotalsAsync(long programId, IReadOnlyList<Cause> causes, CancellationToken ct)
    {
        if (causes.Count == 0) return [];
        var ids = causes.Select(c => c.Id).ToList();
        var rows = await (from r in db.Set<Redemption.Redemption>()
                          join w in db.Set<Reward>() on r.RewardId equals w.Id
                          where r.ProgramId == programId && r.Kind == RedemptionKind.Reward && w.CauseId != null && ids.Contains(w.CauseId!.Value)
                                && (r.Status == RedemptionStatus.Completed || r.Status == RedemptionStatus.Reserved
                                    || r.Status == RedemptionStatus.AwaitingSignature || r.Status == RedemptionStatus.Burning)
                          group r by w.CauseId into g
                          select new
                          {
                              CauseId = g.Key!.Value,
                              Donated = g.Sum(x => x.Status == RedemptionStatus.Completed ? x.Cost : 0L),
                              Pending = g.Sum(x => x.Status != RedemptionStatus.Completed ? x.Cost : 0L),
                              Donors = g.Select(x => x.MemberId).Distinct().Count(),
                              Count = g.Count(),
                          }).AsNoTracking().ToListAsync(ct);
        var byCause = rows.ToDictionary(x => x.CauseId);
        return causes.Select(c => byCause.TryGetValue(c.Id, out var t)
            ? new CauseTotals(c.Id, c.Name, t.Donated, t.Pending, t.Donors, t.Count)
            : new CauseTotals(c.Id, c.Name, 0, 0, 0, 0)).ToList();
    }

    private static string? Name(string? name)
    {
        var n = name?.Trim();
        return string.IsNullOrEmpty(n) || n.Length > Cause.MaxName || n.Any(char.IsControl) ? null : n;
    }

    private static string? Description(string? description)
    {
        if (description is null || description.Trim().Length == 0) return null;
        if (description.Length > Cause.MaxDescription || description.Contains('\0'))
            throw new LoyaltyException("INVALID_CAUSE", $"description must be at most {Cause.MaxDescription} characters");
        return description.Trim();
    }

    /// <summary>An absolute https URL with a host, no credentials, no whitespace or control characters; "" clears it.</summary>
    public static string? Url(string? url)
    {
        if (url is null || url.Length == 0) return null;
        if (url.Length > Cause.MaxUrl || url.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch))
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo))
            throw new LoyaltyException("INVALID_CAUSE_URL", $"url must be an absolute https:// address of at most {Cause.MaxUrl} characters");
        return url;
    }
}
