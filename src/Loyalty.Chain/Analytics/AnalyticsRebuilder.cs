using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Analytics;

/// <summary>Analytics settings (section "Analytics").</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "Analytics";
    /// <summary>Source rows of each kind a rebuild folds per write transaction (the live fold uses <see cref="AnalyticsRollup.Chunk"/>).</summary>
    public int RebuildChunk { get; set; } = AnalyticsRollup.Chunk;

    /// <summary>
    /// Chunks a rebuild folds per pass of the job before it yields to the next program's (and the next pass, a second later,
    /// goes on where it stopped). Unbounded by default: a rebuild runs to its swap in one pass.
    /// </summary>
    public int RebuildChunksPerPass { get; set; } = int.MaxValue;
}

public enum RebuildStatus { Queued, Running, Done, Failed }

/// <summary>
/// A request to fold a program's roll-ups again from nothing (after a fold bug, such as the doubled tier counts fixed in
/// 91d86da). Who asked and what came of it stay on the row: the audit trail of rebuilds.
/// </summary>
public sealed class AnalyticsRebuild
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public RebuildStatus Status { get; set; }
    /// <summary>The roll-up key the rebuild folds into (see <see cref="AnalyticsKeys"/>); set when it starts.</summary>
    public long Key { get; set; }
    /// <summary>"root", "key:{id}", or "upgrade" for the rebuilds the AnalyticsRefold migration queued.</summary>
    public string RequestedBy { get; set; } = "";
    public DateTime RequestedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>Source rows (members, events, ledger entries, tier changes, batches) folded into the new roll-ups so far.</summary>
    public long RowsFolded { get; set; }
    public string? Error { get; set; }
}

internal sealed class AnalyticsRebuildConfiguration : IEntityTypeConfiguration<AnalyticsRebuild>
{
    public void Configure(EntityTypeBuilder<AnalyticsRebuild> b)
    {
        b.ToTable("AnalyticsRebuilds");
        b.HasKey(x => x.Id);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.RequestedBy).HasMaxLength(100);
        b.Property(x => x.Error).HasMaxLength(1000);
        b.HasIndex(x => new { x.ProgramId, x.Id });
        b.HasIndex(x => new { x.Status, x.Id });
        // One rebuild at a time per program: two racing requests get one row (the same filter text works on both providers).
        b.HasIndex(x => x.ProgramId).IsUnique().HasFilter("\"Status\" IN ('Queued', 'Running')").HasDatabaseName("IX_AnalyticsRebuilds_Active");
    }
}

/// <summary>
/// Roll-up rows are keyed by a roll-up key in their <c>ProgramId</c> column, not always the program id: a program's live
/// rows are keyed by the <see cref="AnalyticsRebuild.Key"/> of its last finished rebuild, or by the program id when it has
/// none. A rebuild folds into the other key (<c>-live</c>), so the live figures keep answering until the new ones are
/// complete, and the swap is one row's status.
/// </summary>
public static class AnalyticsKeys
{
    public static async Task<long> LiveAsync(LoyaltyDbContext db, long programId, CancellationToken ct) =>
        await db.Set<AnalyticsRebuild>().AsNoTracking().Where(r => r.ProgramId == programId && r.Status == RebuildStatus.Done)
            .OrderByDescending(r => r.Id).Select(r => (long?)r.Key).FirstOrDefaultAsync(ct) ?? programId;
}

/// <summary>
/// Rebuilds a program's roll-ups while intake goes on: folds every source row again, from marks of zero, into a second set
/// of roll-up rows (the shadow key), in chunks, each chunk its own short write transaction, exactly as the live fold does
/// (its own marks, gaps and state-row lock, so nothing is counted twice or lost, also rows committing during the rebuild).
/// Once the shadow has caught up, one write transaction makes it live; rows committed after that are beyond the shadow's
/// marks and the live fold folds them next. The old rows are then deleted in small ranges. A rebuild that stops (crash,
/// shutdown) keeps its shadow rows and marks and resumes on the next pass; one that throws is Failed and alerted.
/// </summary>
public sealed class AnalyticsRebuilder(LoyaltyDbContext db, AnalyticsRollup rollup, AlertSink alerts, TimeProvider time,
    IOptions<AnalyticsOptions> options, ILogger<AnalyticsRebuilder> logger)
{
    public const string Step = "analytics-rebuild";
    /// <summary>Chunks between two progress updates of <see cref="AnalyticsRebuild.RowsFolded"/>.</summary>
    private const int ChunksPerProgress = 10;

    /// <summary>Queues a rebuild, or returns the one already queued or running for the program (one at a time).</summary>
    public async Task<(AnalyticsRebuild Rebuild, bool Created)> RequestAsync(long programId, string actor, CancellationToken ct)
    {
        try
        {
            var (rebuild, created) = await db.InWriteTransactionAsync(async c =>
            {
                if (await ActiveAsync(programId, c) is { } active) return (active, false);
                var row = new AnalyticsRebuild { ProgramId = programId, Status = RebuildStatus.Queued, RequestedBy = actor, RequestedAt = time.GetUtcNow().UtcDateTime };
                db.Add(row);
                await db.SaveChangesAsync(c);
                return (row, true);
            }, ct);
            if (created) logger.LogInformation("Analytics rebuild {RebuildId} of program {ProgramId} requested by {Actor}", rebuild.Id, programId, actor);
            return (rebuild, created);
        }
        catch (DbUpdateException)
        {
            // PostgreSQL: a concurrent request inserted first (the filtered unique index); that one is the answer.
            db.ChangeTracker.Clear();
            return (await ActiveAsync(programId, ct) ?? throw new InvalidOperationException("no active analytics rebuild after a conflicting insert"), false);
        }
    }

    public Task<AnalyticsRebuild?> LatestAsync(long programId, CancellationToken ct) =>
        db.Set<AnalyticsRebuild>().AsNoTracking().Where(r => r.ProgramId == programId).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);

    private Task<AnalyticsRebuild?> ActiveAsync(long programId, CancellationToken ct) =>
        db.Set<AnalyticsRebuild>().AsNoTracking().Where(r => r.ProgramId == programId && (r.Status == RebuildStatus.Queued || r.Status == RebuildStatus.Running))
            .OrderBy(r => r.Id).FirstOrDefaultAsync(ct);

    /// <summary>The job step: queued and interrupted rebuilds, oldest first, one program at a time, each isolated.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var tried = new List<long>();
        var finished = 0;
        while (await db.Set<AnalyticsRebuild>().AsNoTracking()
                   .Where(r => (r.Status == RebuildStatus.Queued || r.Status == RebuildStatus.Running) && !tried.Contains(r.Id))
                   .OrderBy(r => r.Id).Select(r => new { r.Id, r.ProgramId }).FirstOrDefaultAsync(ct) is { } next)
        {
            tried.Add(next.Id);
            if (await alerts.ForProgramAsync(db, logger, Step, next.ProgramId, () => RebuildAsync(next.Id, Math.Max(1, options.Value.RebuildChunksPerPass), ct), ct)) finished++;
        }
        return finished;
    }

    /// <summary>
    /// Advances one rebuild by up to <paramref name="maxChunks"/> chunks (then swaps it in once caught up); true when it is Done.
    /// </summary>
    public async Task<bool> RebuildAsync(long rebuildId, int maxChunks, CancellationToken ct)
    {
        var r = await db.Set<AnalyticsRebuild>().AsNoTracking().SingleAsync(x => x.Id == rebuildId, ct);
        if (r.Status == RebuildStatus.Queued)
        {
            var shadow = -await AnalyticsKeys.LiveAsync(db, r.ProgramId, ct);
            // Leftovers of the generation before the live one, or of a failed rebuild: the shadow starts from nothing.
            await ClearAsync(shadow, ct);
            var now = time.GetUtcNow().UtcDateTime;
            if (await db.InWriteTransactionAsync(c => db.Set<AnalyticsRebuild>().Where(x => x.Id == rebuildId && x.Status == RebuildStatus.Queued)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, RebuildStatus.Running).SetProperty(x => x.Key, shadow).SetProperty(x => x.StartedAt, now), c), ct) == 0)
                return false;
            r.Status = RebuildStatus.Running;
            r.Key = shadow;
            logger.LogInformation("Analytics rebuild {RebuildId} of program {ProgramId} started", r.Id, r.ProgramId);
        }
        if (r.Status != RebuildStatus.Running) return r.Status == RebuildStatus.Done;
        try
        {
            var chunk = Math.Max(1, options.Value.RebuildChunk);
            for (var left = maxChunks; ;)
            {
                var n = await rollup.FoldIntoAsync(r.ProgramId, r.Key, chunk, Math.Min(left, ChunksPerProgress), ct);
                if (n == 0) break;
                await db.InWriteTransactionAsync(c => db.Set<AnalyticsRebuild>().Where(x => x.Id == rebuildId)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.RowsFolded, x => x.RowsFolded + n), c), ct);
                left -= ChunksPerProgress;
                if (left <= 0) return false;
            }
            var old = await AnalyticsKeys.LiveAsync(db, r.ProgramId, ct);
            await db.InWriteTransactionAsync(async c =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                // The live fold's lock: a chunk into the old key that is under way commits first, and one that takes the lock
                // after this commit reads the new live key and folds there (AnalyticsRollup.FoldChunkAsync).
                await db.Set<AnalyticsState>().Where(x => x.ProgramId == old).ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, now), c);
                if (await db.Set<AnalyticsRebuild>().Where(x => x.Id == rebuildId && x.Status == RebuildStatus.Running)
                        .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, RebuildStatus.Done).SetProperty(x => x.CompletedAt, now), c) == 0)
                    throw new InvalidOperationException($"analytics rebuild {rebuildId} is no longer running");
            }, ct);
            logger.LogInformation("Analytics rebuild {RebuildId} of program {ProgramId} done; its roll-ups are live", r.Id, r.ProgramId);
            await ClearAsync(old, ct);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            db.ChangeTracker.Clear();
            var error = $"{ex.GetType().Name}: {ex.Message}";
            var now = time.GetUtcNow().UtcDateTime;
            await db.InWriteTransactionAsync(c => db.Set<AnalyticsRebuild>().Where(x => x.Id == rebuildId && x.Status == RebuildStatus.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, RebuildStatus.Failed).SetProperty(x => x.CompletedAt, now)
                    .SetProperty(x => x.Error, error.Length > 1000 ? error[..1000] : error), c), ct);
            throw;
        }
    }

    /// <summary>Deletes every roll-up row of <paramref name="key"/>, the big tables in day (month) ranges, so no write transaction is long.</summary>
    private async Task ClearAsync(long key, CancellationToken ct)
    {
        await DeleteAsync<AnalyticsMemberDay>(key, "Day", 31, ct);
        await DeleteAsync<AnalyticsRuleMemberDay>(key, "Day", 31, ct);
        await DeleteAsync<AnalyticsMemberMonth>(key, "Month", 1, ct);
        await DeleteAsync<AnalyticsMemberState>(key, "LastActiveDay", 31, ct);
        await DeleteAsync<AnalyticsRuleMemberState>(key, "LastDay", 31, ct);
        await DeleteAsync<AnalyticsMonthly>(key, null, 0, ct);
        await DeleteAsync<AnalyticsDaily>(key, "Day", 366, ct);
        await DeleteAsync<AnalyticsRuleDaily>(key, "Day", 366, ct);
        await DeleteAsync<AnalyticsTierMigration>(key, "Day", 366, ct);
        await DeleteAsync<AnalyticsCohortMonth>(key, null, 0, ct);
        await DeleteAsync<AnalyticsTierCount>(key, null, 0, ct);
        await DeleteAsync<AnalyticsGasBatch>(key, null, 0, ct);
        await DeleteAsync<AnalyticsGap>(key, null, 0, ct);
        await DeleteAsync<AnalyticsState>(key, null, 0, ct);
    }

    private async Task DeleteAsync<T>(long key, string? column, int step, CancellationToken ct) where T : class
    {
        var rows = db.Set<T>().Where(x => EF.Property<long>(x, "ProgramId") == key);
        if (column is null)
        {
            await db.InWriteTransactionAsync(c => rows.ExecuteDeleteAsync(c), ct);
            return;
        }
        if (!await rows.AnyAsync(ct)) return;
        int lo = await rows.MinAsync(x => EF.Property<int>(x, column), ct), hi = await rows.MaxAsync(x => EF.Property<int>(x, column), ct);
        for (long from = lo; from <= hi; from += step)
        {
            int a = (int)from, b = (int)Math.Min(from + step, int.MaxValue);
            await db.InWriteTransactionAsync(c => rows.Where(x => EF.Property<int>(x, column) >= a && EF.Property<int>(x, column) < b).ExecuteDeleteAsync(c), ct);
        }
    }
}
