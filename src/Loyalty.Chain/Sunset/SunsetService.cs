using System.Text.Json;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Sunset;

/// <summary>
/// A brand leaving without trapping anyone: earning stops when the sunset is requested, redemption at its end date,
/// and at that date a final snapshot of every holder (points and collectibles) at one block is published with Merkle
/// roots. The program itself stays Active underneath, so pending points still mature and settle, and withdrawals to
/// members' own wallets (operator-paid) go on until, and after, the end.
/// </summary>
public sealed class SunsetService(LoyaltyDbContext db, Chain.Web3Factory web3, IOptions<Chain.ChainOptions> chain, TimeProvider time,
    AlertSink alerts, ILogger<SunsetService> logger)
{
    public const string Step = "sunset";
    public const string SunsettingEvent = "program.sunsetting";
    public const string EndedEvent = "program.sunset";
    /// <summary>The furthest end date accepted: a sunset is a wind-down, not a second program life.</summary>
    public static readonly TimeSpan MaxNotice = TimeSpan.FromDays(3 * 366);

    public async Task<ProgramSunset> StartAsync(long programId, DateTime? endsAt, string actor, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (endsAt is not { } end || end.Kind != DateTimeKind.Utc || end <= now || end - now > MaxNotice)
            throw new LoyaltyException("INVALID_ENDS_AT", "endsAt must be a UTC instant (with Z) in the future, at most 3 years ahead");
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, c);
            if (await db.Set<ProgramSunset>().AnyAsync(s => s.ProgramId == programId, c))
                throw new LoyaltyException("PROGRAM_ALREADY_SUNSETTING", "the program's sunset was already requested", 409);
            if (program.Status != ProgramStatus.Active)
                throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"only an active program can be sunset (it is {program.Status})", 409);
            var sunset = new ProgramSunset { ProgramId = programId, EndsAt = end, State = SunsetState.Sunsetting, RequestedAt = now, RequestedBy = actor };
            db.Add(sunset);
            // Outbox: the announcement commits with the sunset or not at all.
            WebhookOutbox.Enqueue(db, programId, SunsettingEvent, null, new
            {
                programId, endsAt = end, earning = "stopped", redeemUntil = end, withdraw = "members can withdraw to their own wallet; gas is paid by the operator",
            });
            await db.SaveChangesAsync(c);
            logger.LogWarning("Program {ProgramId} is sunsetting until {EndsAt} (requested by {Actor})", programId, end, actor);
            return sunset;
        }, ct);
    }

    public Task<ProgramSunset?> FindAsync(long programId, CancellationToken ct) =>
        db.Set<ProgramSunset>().AsNoTracking().SingleOrDefaultAsync(s => s.ProgramId == programId, ct);

    /// <summary>
    /// Ends the sunset now (redemption stops) and takes the snapshot. Re-entrant: the end is a conditional update,
    /// a snapshot already taken is returned as it is, and one that failed half way is taken again on the next call.
    /// </summary>
    public async Task<ProgramSunset> EndAndSnapshotAsync(long programId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var sunset = await FindAsync(programId, ct) ?? throw new LoyaltyException("PROGRAM_NOT_SUNSETTING", "the program has no sunset", 409);
        if (sunset.Snapshot is not null) return sunset;
        await db.Set<ProgramSunset>().Where(s => s.ProgramId == programId && s.State == SunsetState.Sunsetting)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.State, SunsetState.Ended).SetProperty(s => s.EndedAt, now), ct);

        // The node is read outside any write transaction.
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, ct);
        if (program.PointsContract is null) throw new LoyaltyException("PROGRAM_NOT_DEPLOYED", "the program has no contracts to snapshot", 409);
        var snapshot = await SunsetSnapshotReader.ReadAsync(web3.Get(), program, chain.Value.ChainId, chain.Value.ConfirmationDepth, now, ct);
        var json = JsonSerializer.Serialize(snapshot, SunsetSnapshot.Json);
        await db.InWriteTransactionAsync(async c =>
        {
            var row = await db.Set<ProgramSunset>().SingleAsync(s => s.ProgramId == programId, c);
            if (row.Snapshot is not null) return;
            row.SnapshotBlock = snapshot.Block;
            row.SnapshotBlockHash = snapshot.BlockHash;
            row.SnapshotAt = now;
            row.PointsRoot = snapshot.Points.Root;
            row.PointsLeafCount = snapshot.Points.LeafCount;
            row.CollectiblesRoot = snapshot.Collectibles.Root;
            row.CollectiblesLeafCount = snapshot.Collectibles.LeafCount;
            row.Snapshot = json;
            WebhookOutbox.Enqueue(db, programId, EndedEvent, null, new
            {
                programId, block = snapshot.Block, pointsRoot = snapshot.Points.Root, leafCount = snapshot.Points.LeafCount,
                collectiblesRoot = snapshot.Collectibles.Root, collectibleCount = snapshot.Collectibles.LeafCount,
            });
            await db.SaveChangesAsync(c);
        }, ct);
        logger.LogWarning("Program {ProgramId} sunset: snapshot at block {Block}, points root {Root} over {Leaves} holders", programId,
            snapshot.Block, snapshot.Points.Root, snapshot.Points.LeafCount);
        return (await FindAsync(programId, ct))!;
    }

    /// <summary>The job step: every sunset whose date has come (or whose snapshot is missing) is ended, one program at a time, isolated.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Set<ProgramSunset>().AsNoTracking()
            .Where(s => (s.State == SunsetState.Sunsetting && s.EndsAt <= now) || (s.State == SunsetState.Ended && s.Snapshot == null))
            .Select(s => s.ProgramId).ToListAsync(ct);
        var done = 0;
        foreach (var programId in due)
            if (await alerts.ForProgramAsync(db, logger, Step, programId, async () => { await EndAndSnapshotAsync(programId, ct); return true; }, ct))
                done++;
        return done;
    }

    /// <summary>409 PROGRAM_SUNSETTING when the program's sunset was requested: no new points from then on. Read in the caller's transaction.</summary>
    public static LoyaltyException EarningRefused() =>
        new("PROGRAM_SUNSETTING", "the program is sunsetting: no more points are earned; redeem or withdraw them before the end date", 409);

    /// <summary>409 PROGRAM_SUNSETTING once a sunset was requested (intake reads the same rows for a whole batch at once).</summary>
    public static async Task EnsureEarningOpenAsync(LoyaltyDbContext db, long programId, CancellationToken ct)
    {
        if (await db.Set<ProgramSunset>().AnyAsync(s => s.ProgramId == programId, ct)) throw EarningRefused();
    }

    /// <summary>409 PROGRAM_SUNSET once the end date passed or the sunset ended: no more redemptions.</summary>
    public static async Task EnsureRedeemableAsync(LoyaltyDbContext db, long programId, DateTime now, CancellationToken ct)
    {
        if (await db.Set<ProgramSunset>().AnyAsync(s => s.ProgramId == programId && (s.State == SunsetState.Ended || s.EndsAt <= now), ct))
            throw new LoyaltyException("PROGRAM_SUNSET", "the program has ended: redemption is closed; points stay in members' wallets", 409);
    }
}
