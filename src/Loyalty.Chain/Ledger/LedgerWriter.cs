using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// Writes postings: two entries that sum to zero, plus atomic increments of the member's cached
/// balances. Must run inside the caller's database transaction, which commits both or neither.
/// </summary>
public sealed class LedgerWriter(LoyaltyDbContext db, TimeProvider time)
{
    /// <param name="Lot">
    /// What a debit of Available is for (e.g. "redemption:12"); a later credit with the same reference (the release or refund
    /// of that redemption) gives the points back to the lots they came from instead of opening a new lot.
    /// </param>
    /// <param name="Take">A debit of Available that must draw exactly these lots (expiry); otherwise soonest expiry first.</param>
    public sealed record Refs(long? EventId = null, long? AccrualId = null, long? MintIntentId = null, string? Note = null,
        string? Lot = null, IReadOnlyList<LotTake>? Take = null);

    public sealed record LotTake(long LotId, long Amount);

    private readonly Dictionary<long, Programs.LoyaltyProgram> programs = [];

    /// <summary>What the member holds off chain and on (pending + available + reserved), exact: read under the member's lock
    /// it includes what the caller's transaction already wrote, for the per-member cap (IntakeLimitsOptions.MaxPointsPerMember).</summary>
    public async Task<System.Numerics.BigInteger> HeldAsync(long memberId, CancellationToken ct)
    {
        var b = await db.Set<MemberBalance>().AsNoTracking().Where(x => x.MemberId == memberId)
            .Select(x => new { x.Pending, x.Available, x.Reserved }).SingleAsync(ct);
        return (System.Numerics.BigInteger)b.Pending + b.Available + b.Reserved;
    }

    /// <summary>
    /// Points available at once and queued for minting in the caller's transaction, under the member's lock: the mint intent
    /// and its Issuance → Available posting (an admin grant, a referral or challenge reward; not a purchase, so no return window).
    /// </summary>
    public async Task<Settlement.MintIntent> GrantAvailableAsync(long programId, long memberId, string address, long points, EntryKind kind,
        string note, DateTime now, CancellationToken ct)
    {
        var intent = new Settlement.MintIntent
        {
            ProgramId = programId, MemberId = memberId, Address = address, Amount = points, Status = Settlement.IntentStatus.Queued, CreatedAt = now,
        };
        db.Set<Settlement.MintIntent>().Add(intent);
        await db.SaveChangesAsync(ct);
        await PostAsync(programId, memberId, kind, LedgerAccount.Issuance, LedgerAccount.Available, points, new Refs(MintIntentId: intent.Id, Note: note), ct);
        return intent;
    }

    public async Task PostAsync(long programId, long memberId, EntryKind kind, LedgerAccount from, LedgerAccount to, long amount,
        Refs refs, CancellationToken ct)
    {
        if (amount <= 0) throw new ArgumentOutOfRangeException(nameof(amount), "postings move a positive amount");
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("postings need a database transaction");
        var posting = Guid.NewGuid();
        var now = time.GetUtcNow().UtcDateTime;
        db.Set<LedgerEntry>().Add(Entry(from, -amount));
        db.Set<LedgerEntry>().Add(Entry(to, amount));
        await ApplyAsync(memberId, from, -amount, kind, ct);
        await ApplyAsync(memberId, to, amount, kind, ct);
        if (to == LedgerAccount.Available) await CreditLotsAsync(programId, memberId, kind, amount, refs, now, ct);
        if (from == LedgerAccount.Available) await DrawLotsAsync(memberId, amount, refs, posting, now, ct);
        if (kind == EntryKind.Earn)
        {
            var headroom = long.MaxValue - amount;
            await CheckedAsync(memberId, await db.Set<MemberBalance>().Where(b => b.MemberId == memberId && b.LifetimeEarned <= headroom)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.LifetimeEarned, b => b.LifetimeEarned + amount), ct), ct);
        }
        // Every balance change of a member passes here, inside its posting's transaction: the one place points events are emitted.
        Webhooks.PointsEvents.OnPosting(db, programId, memberId, kind, from, to, amount, refs.EventId);

        LedgerEntry Entry(LedgerAccount account, long signed) => new()
        {
            ProgramId = programId,
            PostingId = posting,
            Account = account,
            MemberId = account == LedgerAccount.Issuance ? null : memberId,
            Amount = signed,
            Kind = kind,
            EventId = refs.EventId,
            AccrualId = refs.AccrualId,
            MintIntentId = refs.MintIntentId,
            Note = refs.Note,
            CreatedAt = now,
        };
    }

    /// <summary>Gives a debit's draws back to their lots (same reference), and opens a new lot for the rest.</summary>
    private async Task CreditLotsAsync(long programId, long memberId, EntryKind kind, long amount, Refs refs, DateTime now, CancellationToken ct)
    {
        var left = amount;
        if (refs.Lot is { } reference)
        {
            var draws = await db.Set<LotDraw>().AsNoTracking().Where(d => d.MemberId == memberId && d.Ref == reference && !d.Restored)
                .OrderBy(d => d.Id).ToListAsync(ct);
            foreach (var draw in draws)
            {
                if (draw.Amount > left) break;
                await db.Set<PointLot>().Where(l => l.Id == draw.LotId)
                    .ExecuteUpdateAsync(u => u.SetProperty(l => l.Remaining, l => l.Remaining + draw.Amount), ct);
                await db.Set<LotDraw>().Where(d => d.Id == draw.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Restored, true), ct);
                left -= draw.Amount;
            }
        }
        if (left == 0) return;
        if (!programs.TryGetValue(programId, out var program))
            programs[programId] = program = await db.Set<Programs.LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, ct);
        db.Set<PointLot>().Add(new PointLot
        {
            ProgramId = programId, MemberId = memberId, Amount = left, Remaining = left, Source = kind.ToString(), AvailableAt = now,
            ExpiresAt = Expiry.ExpiryRules.LotExpiry(program, now), MintIntentId = refs.MintIntentId,
            AccrualId = refs.AccrualId,
        });
    }

    /// <summary>Takes a debit of Available from the member's lots: the given ones, or soonest expiry first (never-expiring last).</summary>
    private async Task DrawLotsAsync(long memberId, long amount, Refs refs, Guid posting, DateTime now, CancellationToken ct)
    {
        var plan = refs.Take ?? await PlanDrawAsync(memberId, amount, ct);
        if (refs.Take is not null && plan.Sum(t => t.Amount) != amount)
            throw new InvalidOperationException($"the lots to draw add up to {plan.Sum(t => t.Amount)}, not {amount}");
        foreach (var take in plan)
        {
            var drawn = await db.Set<PointLot>().Where(l => l.Id == take.LotId && l.MemberId == memberId && l.Remaining >= take.Amount)
                .ExecuteUpdateAsync(u => u.SetProperty(l => l.Remaining, l => l.Remaining - take.Amount), ct);
            if (drawn == 0) throw new InvalidOperationException($"lot {take.LotId} no longer holds {take.Amount} points");
            db.Set<LotDraw>().Add(new LotDraw { LotId = take.LotId, MemberId = memberId, Amount = take.Amount, Ref = refs.Lot ?? $"posting:{posting:N}", CreatedAt = now });
        }
    }

    /// <summary>
    /// Which lots a debit of <paramref name="amount"/> takes: soonest expiry first, then oldest. Short when the lots hold less
    /// (only books from before lots existed could; their balance was opened as one lot by the migration).
    /// </summary>
    public async Task<List<LotTake>> PlanDrawAsync(long memberId, long amount, CancellationToken ct, long? preferLotId = null,
        bool onlyUnminted = false)
    {
        var query = db.Set<PointLot>().AsNoTracking().Where(l => l.MemberId == memberId && l.Remaining > 0);
        // Lots whose mint is still queued: the only points of a self-custody member the program can still take back.
        if (onlyUnminted)
            query = query.Where(l => db.Set<Settlement.MintIntent>().Any(i => i.Id == l.MintIntentId && i.Status == Settlement.IntentStatus.Queued));
        var lots = await query.Select(l => new LotPlanner.Lot(l.Id, l.Remaining, l.ExpiresAt)).ToListAsync(ct);
        return LotPlanner.Plan(lots, amount, preferLotId);
    }

    /// <summary>
    /// Takes the member's balance row lock first thing in a transaction (a no-op update): on PostgreSQL
    /// this serialises concurrent events of one member so limits and balances are checked on fresh data.
    /// </summary>
    public Task LockMemberAsync(long memberId, CancellationToken ct) =>
        db.Set<MemberBalance>().Where(b => b.MemberId == memberId)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Pending, b => b.Pending), ct);

    /// <summary>
    /// Checked arithmetic in SQL: a credit applies only while it fits in int64 (SQLite would silently turn the sum into a
    /// float, PostgreSQL would fail the whole batch); a debit never overflows, as balances are never below -int64.MaxValue.
    /// </summary>
    private async Task ApplyAsync(long memberId, LedgerAccount account, long delta, EntryKind kind, CancellationToken ct)
    {
        var headroom = delta > 0 ? long.MaxValue - delta : long.MaxValue;
        var balances = db.Set<MemberBalance>().Where(b => b.MemberId == memberId);
        var applied = account switch
        {
            LedgerAccount.Pending => await balances.Where(b => b.Pending <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Pending, b => b.Pending + delta), ct),
            LedgerAccount.Available => await balances.Where(b => b.Available <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Available, b => b.Available + delta), ct),
            LedgerAccount.Reserved => await balances.Where(b => b.Reserved <= headroom).ExecuteUpdateAsync(u => u.SetProperty(b => b.Reserved, b => b.Reserved + delta), ct),
            _ => -1,
        };
        if (applied == 0) await CheckedAsync(memberId, applied, ct);
    }

    /// <summary>No row updated: an overflow when the member's balance row exists (a missing row was always left alone).</summary>
    private async Task CheckedAsync(long memberId, int applied, CancellationToken ct)
    {
        if (applied == 0 && await db.Set<MemberBalance>().AnyAsync(b => b.MemberId == memberId, ct))
            throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", "the member's balance would exceed what a 64-bit ledger holds", 422);
    }
}
