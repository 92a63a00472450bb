using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Leaderboards;

public sealed record LeaderboardRow(int Rank, string DisplayName, long Points);
/// <summary>The caller's own standing: Rank is null when they are not on the board (not opted in, blocked, or nothing earned).</summary>
public sealed record LeaderboardYou(int? Rank, long Points, bool OptedIn, string? DisplayName);
public sealed record Leaderboard(LeaderboardPeriod Period, List<LeaderboardRow> Rows, LeaderboardYou? You);

/// <summary>
/// Opt-in leaderboards of points EARNED in a period: a member's Earn credits to Pending or Available, net of the Clawback
/// debits of those accounts (a return inside or after the window), by posting time in the program's zone. Grants, refunds
/// and maturation do not count: a goodwill grant is not earned, and maturing moves points already counted. Ties go to whoever
/// got there first (the earlier last counted posting), then the lower member id. Rows carry the pseudonym only.
/// </summary>
public sealed class LeaderboardService(LoyaltyDbContext db, CustodyService custody, TimeProvider time)
{
    private const string KeyPurpose = "leaderboard-name-hmac";
    private const int GeneratedAttempts = 32;

    /// <summary>A member initializer (not a constructor), so EF can keep composing filters and counts over it in SQL.</summary>
    private sealed class Earned
    {
        public long MemberId { get; init; }
        public string DisplayName { get; init; } = "";
        public long Points { get; init; }
        public long LastEntryId { get; init; }
    }

    public async Task<LeaderboardProfile> SetAsync(Member member, bool optIn, string? displayName, CancellationToken ct)
    {
        string? chosen = null;
        if (displayName is not null)
        {
            var email = await db.Set<MemberProfile>().AsNoTracking().Where(p => p.MemberId == member.Id).Select(p => p.Email).SingleOrDefaultAsync(ct);
            chosen = LeaderboardNames.Validate(displayName, [member.ExternalId, email?.Split('@')[0], email]);
        }
        // Candidates come from the custody key before the write transaction (the key may be created on first use).
        var candidates = chosen is null ? await GeneratedCandidatesAsync(member, ct) : [];
        try
        {
            return await db.InWriteTransactionAsync(async c =>
            {
                var row = await db.Set<LeaderboardProfile>().SingleOrDefaultAsync(p => p.MemberId == member.Id, c);
                var now = time.GetUtcNow().UtcDateTime;
                if (row is null)
                {
                    row = new LeaderboardProfile { MemberId = member.Id, ProgramId = member.ProgramId };
                    db.Set<LeaderboardProfile>().Add(row);
                }
                if (chosen is not null)
                {
                    var normalized = LeaderboardNames.Normalize(chosen);
                    if (await db.Set<LeaderboardProfile>().AnyAsync(p => p.ProgramId == member.ProgramId && p.NormalizedName == normalized
                                                                         && p.MemberId != member.Id, c))
                        throw new LoyaltyException("DISPLAY_NAME_TAKEN", "another member uses this display name", 409);
                    (row.DisplayName, row.NormalizedName, row.Generated) = (chosen, normalized, false);
                }
                else if (row.DisplayName.Length == 0)
                {
                    var normalized = candidates.Select(LeaderboardNames.Normalize).ToList();
                    var taken = await db.Set<LeaderboardProfile>().Where(p => p.ProgramId == member.ProgramId && normalized.Contains(p.NormalizedName))
                        .Select(p => p.NormalizedName).ToListAsync(c);
                    var name = candidates.FirstOrDefault(n => !taken.Contains(LeaderboardNames.Normalize(n)))
                               ?? throw new LoyaltyException("DISPLAY_NAME_TAKEN", "no free generated name; choose a displayName", 409);
                    (row.DisplayName, row.NormalizedName, row.Generated) = (name, LeaderboardNames.Normalize(name), true);
                }
                row.OptedIn = optIn;
                row.UpdatedAt = now;
                await db.SaveChangesAsync(c);
                return row;
            }, ct);
        }
        catch (DbUpdateException)
        {
            // Two members took the same name at once: the unique index let one through.
            db.ChangeTracker.Clear();
            throw new LoyaltyException("DISPLAY_NAME_TAKEN", "another member uses this display name", 409);
        }
    }

    public Task<LeaderboardProfile?> FindAsync(long memberId, CancellationToken ct) =>
        db.Set<LeaderboardProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == memberId, ct);

    private async Task<List<string>> GeneratedCandidatesAsync(Member member, CancellationToken ct)
    {
        await custody.GetOrCreateServiceKeyAsync(KeyPurpose, null, ct);
        return await custody.WithServiceKeyAsync(KeyPurpose, null, key =>
        {
            var secret = key.GetPrivateKeyAsBytes();
            try
            {
                return Enumerable.Range(0, GeneratedAttempts).Select(i =>
                    LeaderboardNames.Generate(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{member.ProgramId}|{member.Id}|{i}")))).Distinct().ToList();
            }
            finally { CryptographicOperations.ZeroMemory(secret); }
        }, ct);
    }

    /// <summary>The period's top <paramref name="limit"/> (one GROUP BY query), and the caller's own standing when <paramref name="you"/> is given.</summary>
    public async Task<Leaderboard> GetAsync(long programId, LeaderboardPeriod period, int limit, Member? you, CancellationToken ct)
    {
        var ranked = Ranked(programId, period);
        var top = await ranked.OrderByDescending(x => x.Points).ThenBy(x => x.LastEntryId).ThenBy(x => x.MemberId).Take(limit).ToListAsync(ct);
        var rows = top.Select((x, i) => new LeaderboardRow(i + 1, x.DisplayName, x.Points)).ToList();
        LeaderboardYou? mine = null;
        if (you is not null)
        {
            var profile = await FindAsync(you.Id, ct);
            var own = await ranked.Where(x => x.MemberId == you.Id).SingleOrDefaultAsync(ct);
            int? rank = null;
            long points;
            if (own is not null)
            {
                points = own.Points;
                rank = 1 + await ranked.CountAsync(x => x.Points > own.Points || (x.Points == own.Points
                    && (x.LastEntryId < own.LastEntryId || (x.LastEntryId == own.LastEntryId && x.MemberId < own.MemberId))), ct);
            }
            else points = await EarnedEntries(programId, period).Where(e => e.MemberId == you.Id).SumAsync(e => e.Amount, ct);
            mine = new LeaderboardYou(rank, points, profile?.OptedIn == true, profile?.DisplayName);
        }
        return new Leaderboard(period, rows, mine);
    }

    private IQueryable<LedgerEntry> EarnedEntries(long programId, LeaderboardPeriod period)
    {
        var entries = db.Set<LedgerEntry>().AsNoTracking().Where(e => e.ProgramId == programId && e.MemberId != null
            && (e.Kind == EntryKind.Earn || e.Kind == EntryKind.Clawback)
            && (e.Account == LedgerAccount.Pending || e.Account == LedgerAccount.Available));
        if (period.FromUtc is { } from) entries = entries.Where(e => e.CreatedAt >= from);
        if (period.ToUtc is { } to) entries = entries.Where(e => e.CreatedAt < to);
        return entries;
    }

    /// <summary>Opted-in, unblocked members with points earned in the period, grouped in SQL (translates on SQLite and PostgreSQL).</summary>
    private IQueryable<Earned> Ranked(long programId, LeaderboardPeriod period) =>
        from e in EarnedEntries(programId, period)
        join p in db.Set<LeaderboardProfile>() on e.MemberId equals p.MemberId
        join m in db.Set<Member>() on p.MemberId equals m.Id
        where p.OptedIn && p.ProgramId == programId && m.BlockedAt == null
        group e by new { p.MemberId, p.DisplayName } into g
        where g.Sum(x => x.Amount) > 0
        select new Earned { MemberId = g.Key.MemberId, DisplayName = g.Key.DisplayName, Points = g.Sum(x => x.Amount), LastEntryId = g.Max(x => x.Id) };
}
