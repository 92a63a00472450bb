using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Alerts;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Tiers;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Analytics;

/// <summary>
/// Folds what is new since the program's high-water marks (members, events, ledger entries and tier changes by id; finished
/// settlement batches) into the daily roll-ups, in chunks, each chunk one write transaction that moves the marks with the
/// counters (so a crash folds nothing twice). Every roll-up row a chunk touches is read once and written once: the chunk is
/// aggregated in memory first. Runs as a job step per program (isolated) and, for an up-to-date answer, before a KPI read.
/// </summary>
public sealed class AnalyticsRollup(LoyaltyDbContext db, AlertSink alerts, TimeProvider time, ILogger<AnalyticsRollup> logger)
{
    public const string Step = "analytics-rollup";
    public const int Chunk = 5000;
    /// <summary>How long a missing id below a mark is waited for: longer than any write transaction runs.</summary>
    public static readonly TimeSpan GapTtl = TimeSpan.FromMinutes(10);
    /// <summary>How far below a moved mark missing ids are looked for: in-flight ids sit near the head of the sequence.</summary>
    public const long GapWindow = 100_000;
    internal const string Members = "member", Events = "event", Ledger = "ledger", Tiers = "tier";

    /// <summary>The job step: every program, each in its own isolation.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking().Select(p => p.Id).ToListAsync(ct);
        var total = 0;
        foreach (var id in programs)
            total += await alerts.ForProgramAsync(db, logger, Step, id, () => FoldAsync(id, ct), ct);
        return total;
    }

    /// <summary>Folds everything new for one program into its live roll-ups; returns the source rows folded.</summary>
    public async Task<int> FoldAsync(long programId, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var key = await AnalyticsKeys.LiveAsync(db, programId, ct);
            await EnsureStateAsync(key, ct);
            if (!await AnythingNewAsync(programId, key, ct)) return total;
            // null: a rebuild swapped the live key after it was read; go round again with the new one.
            var n = await db.InWriteTransactionAsync(c => FoldChunkAsync(programId, key, live: true, Chunk, c), ct);
            db.ChangeTracker.Clear();
            if (n is null) continue;
            total += n.Value;
            if (n == 0) return total;
        }
    }

    /// <summary>
    /// Folds up to <paramref name="maxChunks"/> chunks of <paramref name="chunk"/> source rows of each kind into the roll-up rows
    /// keyed <paramref name="key"/> (a rebuild's shadow set, see <see cref="AnalyticsRebuilder"/>), from that key's own marks;
    /// returns the source rows folded (0: the key has caught up with everything committed).
    /// </summary>
    public async Task<int> FoldIntoAsync(long programId, long key, int chunk, int maxChunks, CancellationToken ct)
    {
        await EnsureStateAsync(key, ct);
        var total = 0;
        for (var i = 0; i < maxChunks && await AnythingNewAsync(programId, key, ct); i++)
        {
            var n = await db.InWriteTransactionAsync(c => FoldChunkAsync(programId, key, live: false, chunk, c), ct) ?? 0;
            db.ChangeTracker.Clear();
            total += n;
            if (n == 0) break;
        }
        return total;
    }

    private async Task EnsureStateAsync(long key, CancellationToken ct)
    {
        if (await db.Set<AnalyticsState>().AnyAsync(x => x.ProgramId == key, ct)) return;
        try
        {
            db.Add(new AnalyticsState { ProgramId = key, UpdatedAt = time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent first fold created it: the same row either way (anything else is rethrown).
            db.ChangeTracker.Clear();
            if (!await db.Set<AnalyticsState>().AsNoTracking().AnyAsync(x => x.ProgramId == key, ct)) throw;
        }
        db.ChangeTracker.Clear();
    }

    /// <summary>A read without the write gate, so an up-to-date program costs a KPI read only a few index seeks.</summary>
    private async Task<bool> AnythingNewAsync(long programId, long key, CancellationToken ct)
    {
        var s = await db.Set<AnalyticsState>().AsNoTracking().SingleOrDefaultAsync(x => x.ProgramId == key, ct) ?? new AnalyticsState();
        return await db.Set<Member>().AnyAsync(m => m.ProgramId == programId && m.Id > s.MemberHwm, ct)
               || await db.Set<LoyaltyEvent>().AnyAsync(e => e.ProgramId == programId && e.Id > s.EventHwm, ct)
               || await db.Set<LedgerEntry>().AnyAsync(e => e.Id > s.LedgerHwm && e.ProgramId == programId, ct)
               || await db.Set<TierChange>().AnyAsync(t => t.Id > s.TierChangeHwm && t.ProgramId == programId, ct)
               || await db.Set<SettlementBatch>().AnyAsync(b => b.Id > s.BatchHwm && b.ProgramId == programId && b.Status != BatchStatus.Pending
                   && !db.Set<AnalyticsGasBatch>().Any(g => g.ProgramId == key && g.BatchId == b.Id), ct)
               || await GapFilledAsync(key, ct);
    }

    /// <summary>Whether an id the fold is waiting for (see <see cref="AnalyticsGap"/>) has committed since.</summary>
    private async Task<bool> GapFilledAsync(long key, CancellationToken ct)
    {
        var gaps = db.Set<AnalyticsGap>().AsNoTracking().Where(g => g.ProgramId == key);
        if (!await gaps.AnyAsync(ct)) return false;
        return await gaps.AnyAsync(g => g.Source == Members && db.Set<Member>().Any(m => m.Id == g.Id), ct)
               || await gaps.AnyAsync(g => g.Source == Events && db.Set<LoyaltyEvent>().Any(e => e.Id == g.Id), ct)
               || await gaps.AnyAsync(g => g.Source == Ledger && db.Set<LedgerEntry>().Any(e => e.Id == g.Id), ct)
               || await gaps.AnyAsync(g => g.Source == Tiers && db.Set<TierChange>().Any(t => t.Id == g.Id), ct);
    }

    /// <summary>
    /// After a source's mark moved from <paramref name="from"/> to <paramref name="to"/>: forgets the gaps now folded, committed
    /// for another program, or older than <see cref="GapTtl"/>, and records the ids below the new mark that no row has yet
    /// (a PostgreSQL transaction still in flight, or one rolled back), so a row that commits late is folded when it appears.
    /// </summary>
    private async Task TrackGapsAsync<T>(long programId, long key, string source, List<AnalyticsGap> gaps, long from, long to, IReadOnlySet<long> folded,
        DateTime now, CancellationToken ct) where T : class
    {
        var open = gaps.Where(g => g.Source == source).ToList();
        var ids = open.Select(g => g.Id).ToList();
        var elsewhere = ids.Count == 0 ? [] : (await db.Set<T>().AsNoTracking()
            .Where(x => ids.Contains(EF.Property<long>(x, "Id")) && EF.Property<long>(x, "ProgramId") != programId)
            .Select(x => EF.Property<long>(x, "Id")).ToListAsync(ct)).ToHashSet();
        foreach (var g in open)
            if (folded.Contains(g.Id) || elsewhere.Contains(g.Id) || g.SeenAt < now - GapTtl) db.Remove(g);
        var start = Math.Max(from, to - GapWindow);
        if (to <= start) return;
        var range = db.Set<T>().AsNoTracking().Where(x => EF.Property<long>(x, "Id") > start && EF.Property<long>(x, "Id") <= to);
        if (await range.LongCountAsync(ct) == to - start) return; // no hole: the common case, one index range count
        var present = (await range.Select(x => EF.Property<long>(x, "Id")).ToListAsync(ct)).ToHashSet();
        var known = ids.ToHashSet();
        for (var id = start + 1; id < to; id++)
            if (!present.Contains(id) && known.Add(id))
                db.Add(new AnalyticsGap { ProgramId = key, Source = source, Id = id, SeenAt = now });
    }

    /// <summary>
    /// The tier each member had after enrolment, for those whose tier changed since: the <c>From</c> of their first change
    /// other than the enrolment placement. Members without such a change are still on <c>Member.Tier</c>. A change still
    /// uncommitted has not moved <c>Member.Tier</c> either (same transaction), so the two always agree.
    /// </summary>
    private async Task<Dictionary<long, string?>> StartTiersAsync(List<long> memberIds, CancellationToken ct)
    {
        if (memberIds.Count == 0) return [];
        var firsts = await db.Set<TierChange>().AsNoTracking().Where(t => memberIds.Contains(t.MemberId) && t.Reason != TierChange.Enrolled)
            .GroupBy(t => t.MemberId).Select(g => g.Min(t => t.Id)).ToListAsync(ct);
        if (firsts.Count == 0) return [];
        return await db.Set<TierChange>().AsNoTracking().Where(t => firsts.Contains(t.Id)).ToDictionaryAsync(t => t.MemberId, t => t.From, ct);
    }

    private sealed record EvaluatedRule(long RuleId, string Name, bool Fired, string Points);

    /// <summary>One chunk into the rows keyed <paramref name="key"/>; null when <paramref name="live"/> and a rebuild made another key live.</summary>
    private async Task<int?> FoldChunkAsync(long programId, long key, bool live, int chunk, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Locks the state row until commit (on SQLite the write gate already serializes): a concurrent fold of the same key
        // waits, then reads the marks this one moved, so no source row is counted twice. A rebuild's swap takes the same lock
        // on the live key, so once it is held, the live key read next is the one that stays live until this commit.
        if (await db.Set<AnalyticsState>().Where(x => x.ProgramId == key).ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, now), ct) == 0
            || live && await AnalyticsKeys.LiveAsync(db, programId, ct) != key)
            return null;
        var state = await db.Set<AnalyticsState>().SingleAsync(x => x.ProgramId == key, ct);
        var gaps = await db.Set<AnalyticsGap>().Where(g => g.ProgramId == key).ToListAsync(ct);
        List<long> Late(string source) => gaps.Where(g => g.Source == source).Select(g => g.Id).ToList();
        List<long> lateMembers = Late(Members), lateEvents = Late(Events), lateEntries = Late(Ledger), lateChanges = Late(Tiers);
        long memberFrom = state.MemberHwm, eventFrom = state.EventHwm, ledgerFrom = state.LedgerHwm, tierFrom = state.TierChangeHwm;

        var daily = new Dictionary<int, AnalyticsDaily>();
        AnalyticsDaily Day(int d) => daily.TryGetValue(d, out var r) ? r : daily[d] = new AnalyticsDaily { ProgramId = key, Day = d };
        var tiers = new Dictionary<string, long>(StringComparer.Ordinal);
        var migrations = new Dictionary<(int, string, string), long>();
        var memberDays = new Dictionary<(int Day, long Member), int>();
        var memberMonths = new HashSet<(long Member, int Month)>();
        var memberCohort = new Dictionary<long, int>();
        var rules = new Dictionary<(int Day, long Rule), (string Name, long Points)>();
        var ruleMembers = new HashSet<(long Rule, int Day, long Member)>();
        var folded = 0;

        var members = await db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == programId && (m.Id > memberFrom || lateMembers.Contains(m.Id)))
            .OrderBy(m => m.Id).Take(chunk).Select(m => new { m.Id, m.Tier, m.CreatedAt }).ToListAsync(ct);
        // A member counts into the tier it had after enrolment; each later change (folded in this chunk or another) moves it
        // from there. Member.Tier is the tier now: counting it and then the changes counted every change twice.
        var started = await StartTiersAsync(members.Select(m => m.Id).ToList(), ct);
        foreach (var m in members)
        {
            Day(AnalyticsMath.DayOf(m.CreatedAt)).NewMembers++;
            var tier = started.TryGetValue(m.Id, out var first) ? first ?? "" : m.Tier ?? "";
            tiers[tier] = tiers.GetValueOrDefault(tier) + 1;
            state.MembersTotal++;
            state.MemberHwm = Math.Max(state.MemberHwm, m.Id);
        }
        folded += members.Count;

        var events = await db.Set<LoyaltyEvent>().AsNoTracking().Where(e => e.ProgramId == programId && (e.Id > eventFrom || lateEvents.Contains(e.Id)))
            .OrderBy(e => e.Id).Take(chunk).Select(e => new { e.Id, e.MemberId, e.Type, e.Amount, e.Points, e.Evaluation, e.OccurredAt }).ToListAsync(ct);
        var eventMembers = events.Select(e => e.MemberId).Distinct().ToList();
        foreach (var m in await db.Set<Member>().AsNoTracking().Where(m => eventMembers.Contains(m.Id)).Select(m => new { m.Id, m.CreatedAt }).ToListAsync(ct))
            memberCohort[m.Id] = AnalyticsMath.MonthOf(m.CreatedAt);
        foreach (var e in events)
        {
            state.EventHwm = Math.Max(state.EventHwm, e.Id);
            var purchase = e.Type == EventIntakeService.Purchase;
            if (!purchase && e.Points <= 0) continue; // active means a purchase or an earn
            var day = AnalyticsMath.DayOf(e.OccurredAt);
            var row = Day(day);
            if (purchase) { row.Purchases++; row.PurchaseAmount = checked(row.PurchaseAmount + (e.Amount ?? 0)); }
            memberDays[(day, e.MemberId)] = memberDays.GetValueOrDefault((day, e.MemberId)) + (purchase ? 1 : 0);
            memberMonths.Add((e.MemberId, AnalyticsMath.MonthOf(e.OccurredAt)));
            foreach (var r in JsonSerializer.Deserialize<List<EvaluatedRule>>(e.Evaluation, IntakeResponse.Json) ?? [])
            {
                if (!r.Fired || !long.TryParse(r.Points, out var points) || points <= 0) continue;
                var had = rules.GetValueOrDefault((day, r.RuleId));
                rules[(day, r.RuleId)] = (r.Name, checked(had.Points + points));
                ruleMembers.Add((r.RuleId, day, e.MemberId));
            }
        }
        folded += events.Count;

        var entries = await db.Set<LedgerEntry>().AsNoTracking().Where(e => (e.Id > ledgerFrom || lateEntries.Contains(e.Id)) && e.ProgramId == programId)
            .OrderBy(e => e.Id).Take(chunk).Select(e => new { e.Id, e.Account, e.Amount, e.Kind, e.CreatedAt }).ToListAsync(ct);
        foreach (var e in entries)
        {
            state.LedgerHwm = Math.Max(state.LedgerHwm, e.Id);
            switch (e.Account)
            {
                case LedgerAccount.Pending: state.Pending = checked(state.Pending + e.Amount); break;
                case LedgerAccount.Available: state.Available = checked(state.Available + e.Amount); break;
                case LedgerAccount.Issuance:
                    var row = Day(AnalyticsMath.DayOf(e.CreatedAt));
                    if (e.Amount < 0)
                    {
                        row.PointsIssued = checked(row.PointsIssued - e.Amount);
                        if (e.Kind == EntryKind.Earn) row.Accruals++;
                    }
                    else if (e.Kind == EntryKind.Redeem) row.PointsRedeemed = checked(row.PointsRedeemed + e.Amount);
                    else if (e.Kind == EntryKind.Expire) row.PointsExpired = checked(row.PointsExpired + e.Amount);
                    else if (e.Kind == EntryKind.Clawback) row.PointsClawedBack = checked(row.PointsClawedBack + e.Amount);
                    break;
            }
        }
        folded += entries.Count;

        var changes = await db.Set<TierChange>().AsNoTracking().Where(t => (t.Id > tierFrom || lateChanges.Contains(t.Id)) && t.ProgramId == programId)
            .OrderBy(t => t.Id).Take(chunk).ToListAsync(ct);
        foreach (var t in changes)
        {
            state.TierChangeHwm = Math.Max(state.TierChangeHwm, t.Id);
            if (t.Reason == TierChange.Enrolled) continue; // the starting tier, counted with the member; not a migration
            string from = t.From ?? "", to = t.To ?? "";
            tiers[from] = tiers.GetValueOrDefault(from) - 1;
            tiers[to] = tiers.GetValueOrDefault(to) + 1;
            var migration = (AnalyticsMath.DayOf(t.At), from, to);
            migrations[migration] = migrations.GetValueOrDefault(migration) + 1;
        }
        folded += changes.Count;

        await TrackGapsAsync<Member>(programId, key, Members, gaps, memberFrom, state.MemberHwm, members.Select(x => x.Id).ToHashSet(), now, ct);
        await TrackGapsAsync<LoyaltyEvent>(programId, key, Events, gaps, eventFrom, state.EventHwm, events.Select(x => x.Id).ToHashSet(), now, ct);
        await TrackGapsAsync<LedgerEntry>(programId, key, Ledger, gaps, ledgerFrom, state.LedgerHwm, entries.Select(x => x.Id).ToHashSet(), now, ct);
        await TrackGapsAsync<TierChange>(programId, key, Tiers, gaps, tierFrom, state.TierChangeHwm, changes.Select(x => x.Id).ToHashSet(), now, ct);

        // Batches finish out of id order: the mark moves over the finished prefix, and a presence row keeps later finished ones from counting twice.
        var batches = await (from b in db.Set<SettlementBatch>().AsNoTracking()
                             where b.ProgramId == programId && b.Id > state.BatchHwm
                             join tx in db.Set<ChainTx>().AsNoTracking() on b.ChainTxId equals tx.Id into txs
                             from tx in txs.DefaultIfEmpty()
                             orderby b.Id
                             select new { b.Id, b.Status, b.CompletedAt, b.CreatedAt, GasUsed = (long?)tx.GasUsed, Price = tx.EffectiveGasPrice })
            .Take(chunk).ToListAsync(ct);
        var batchIds = batches.Select(b => b.Id).ToList();
        var seen = (await db.Set<AnalyticsGasBatch>().AsNoTracking().Where(g => g.ProgramId == key && batchIds.Contains(g.BatchId)).Select(g => g.BatchId)
            .ToListAsync(ct)).ToHashSet();
        var prefix = true;
        foreach (var b in batches)
        {
            if (b.Status == BatchStatus.Pending) { prefix = false; continue; }
            if (prefix) state.BatchHwm = b.Id;
            if (!seen.Add(b.Id)) continue;
            db.Add(new AnalyticsGasBatch { BatchId = b.Id, ProgramId = key });
            if (b.GasUsed is { } gas && b.Price is { } price)
            {
                var row = Day(AnalyticsMath.DayOf(b.CompletedAt ?? b.CreatedAt));
                row.GasWei += gas * price;
            }
            folded++;
        }

        await ApplyAsync(key, daily, tiers, migrations, memberDays, memberMonths, memberCohort, rules, ruleMembers, ct);
        state.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return folded;
    }

    /// <summary>Writes a chunk's aggregates into the roll-up rows keyed <paramref name="rowKey"/> (see <see cref="AnalyticsKeys"/>).</summary>
    private async Task ApplyAsync(long rowKey, Dictionary<int, AnalyticsDaily> daily, Dictionary<string, long> tiers,
        Dictionary<(int, string, string), long> migrations, Dictionary<(int Day, long Member), int> memberDays,
        HashSet<(long Member, int Month)> memberMonths, Dictionary<long, int> memberCohort,
        Dictionary<(int Day, long Rule), (string Name, long Points)> rules, HashSet<(long Rule, int Day, long Member)> ruleMembers, CancellationToken ct)
    {
        // Presence rows first: a member-day (or member-month) that is new is what adds one to the daily (or cohort) active count.
        var days = memberDays.Keys.Select(k => k.Day).Distinct().ToList();
        var dayMembers = memberDays.Keys.Select(k => k.Member).Distinct().ToList();
        var existingDays = (await db.Set<AnalyticsMemberDay>().Where(x => x.ProgramId == rowKey && days.Contains(x.Day) && dayMembers.Contains(x.MemberId))
            .ToListAsync(ct)).ToDictionary(x => (x.Day, x.MemberId));
        foreach (var ((day, member), purchases) in memberDays)
        {
            if (existingDays.TryGetValue((day, member), out var row)) row.Purchases = checked(row.Purchases + purchases);
            else
            {
                db.Add(new AnalyticsMemberDay { ProgramId = rowKey, Day = day, MemberId = member, Purchases = purchases });
                Day(day).ActiveMembers++;
            }
        }
        AnalyticsDaily Day(int d) => daily.TryGetValue(d, out var r) ? r : daily[d] = new AnalyticsDaily { ProgramId = rowKey, Day = d };
        var memberStates = (await db.Set<AnalyticsMemberState>().Where(x => x.ProgramId == rowKey && dayMembers.Contains(x.MemberId)).ToListAsync(ct))
            .ToDictionary(x => x.MemberId);
        foreach (var ((day, member), purchases) in memberDays)
        {
            if (!memberStates.TryGetValue(member, out var st))
                db.Add(memberStates[member] = st = new AnalyticsMemberState { ProgramId = rowKey, MemberId = member, LastActiveDay = day });
            st.Add(day, purchases);
        }

        var months = memberMonths.Select(k => k.Month).Distinct().ToList();
        var monthMembers = memberMonths.Select(k => k.Member).Distinct().ToList();
        var existingMonths = (await db.Set<AnalyticsMemberMonth>().AsNoTracking()
            .Where(x => x.ProgramId == rowKey && months.Contains(x.Month) && monthMembers.Contains(x.MemberId)).Select(x => new { x.MemberId, x.Month })
            .ToListAsync(ct)).Select(x => (x.MemberId, x.Month)).ToHashSet();
        var cohorts = new Dictionary<(int Cohort, int Offset), long>();
        var monthly = new Dictionary<int, long>();
        foreach (var (member, month) in memberMonths)
        {
            if (existingMonths.Contains((member, month))) continue;
            db.Add(new AnalyticsMemberMonth { ProgramId = rowKey, MemberId = member, Month = month });
            monthly[month] = monthly.GetValueOrDefault(month) + 1;
            var cohort = memberCohort[member];
            if (month < cohort) continue; // an event dated before the enrolment (back-dated) is outside every cohort's months
            cohorts[(cohort, month - cohort)] = cohorts.GetValueOrDefault((cohort, month - cohort)) + 1;
        }
        var cohortKeys = cohorts.Keys.Select(k => k.Cohort).Distinct().ToList();
        var cohortRows = (await db.Set<AnalyticsCohortMonth>().Where(x => x.ProgramId == rowKey && cohortKeys.Contains(x.Cohort)).ToListAsync(ct))
            .ToDictionary(x => (x.Cohort, x.Offset));
        foreach (var (key, n) in cohorts)
        {
            if (!cohortRows.TryGetValue(key, out var row)) db.Add(row = new AnalyticsCohortMonth { ProgramId = rowKey, Cohort = key.Cohort, Offset = key.Offset });
            row.ActiveMembers += n;
        }

        var monthKeys = monthly.Keys.ToList();
        var monthlyRows = (await db.Set<AnalyticsMonthly>().Where(x => x.ProgramId == rowKey && monthKeys.Contains(x.Month)).ToListAsync(ct)).ToDictionary(x => x.Month);
        foreach (var (month, n) in monthly)
        {
            if (!monthlyRows.TryGetValue(month, out var row)) db.Add(row = new AnalyticsMonthly { ProgramId = rowKey, Month = month });
            row.ActiveMembers += n;
        }

        var ruleDays = ruleMembers.Select(k => k.Day).Concat(rules.Keys.Select(k => k.Day)).Distinct().ToList();
        var ruleIds = rules.Keys.Select(k => k.Rule).Distinct().ToList();
        var ruleMemberIds = ruleMembers.Select(k => k.Member).Distinct().ToList();
        var existingRuleMembers = (await db.Set<AnalyticsRuleMemberDay>().AsNoTracking()
            .Where(x => x.ProgramId == rowKey && ruleDays.Contains(x.Day) && ruleIds.Contains(x.RuleId) && ruleMemberIds.Contains(x.MemberId))
            .Select(x => new { x.RuleId, x.Day, x.MemberId }).ToListAsync(ct)).Select(x => (x.RuleId, x.Day, x.MemberId)).ToHashSet();
        foreach (var (rule, day, member) in ruleMembers)
            if (!existingRuleMembers.Contains((rule, day, member)))
                db.Add(new AnalyticsRuleMemberDay { ProgramId = rowKey, RuleId = rule, Day = day, MemberId = member });
        var reachedRules = ruleMembers.Select(k => k.Rule).Distinct().ToList();
        var ruleStates = (await db.Set<AnalyticsRuleMemberState>()
            .Where(x => x.ProgramId == rowKey && reachedRules.Contains(x.RuleId) && ruleMemberIds.Contains(x.MemberId)).ToListAsync(ct))
            .ToDictionary(x => (x.RuleId, x.MemberId));
        foreach (var (rule, day, member) in ruleMembers)
        {
            if (!ruleStates.TryGetValue((rule, member), out var st))
                db.Add(ruleStates[(rule, member)] = st = new AnalyticsRuleMemberState { ProgramId = rowKey, RuleId = rule, MemberId = member, LastDay = day });
            st.LastDay = Math.Max(st.LastDay, day);
        }
        var ruleRows = (await db.Set<AnalyticsRuleDaily>().Where(x => x.ProgramId == rowKey && ruleDays.Contains(x.Day) && ruleIds.Contains(x.RuleId)).ToListAsync(ct))
            .ToDictionary(x => (x.Day, x.RuleId));
        foreach (var ((day, rule), (name, points)) in rules)
        {
            if (!ruleRows.TryGetValue((day, rule), out var row)) db.Add(row = new AnalyticsRuleDaily { ProgramId = rowKey, Day = day, RuleId = rule });
            row.Name = name;
            row.Points = checked(row.Points + points);
        }

        var tierNames = tiers.Keys.ToList();
        var tierRows = (await db.Set<AnalyticsTierCount>().Where(x => x.ProgramId == rowKey && tierNames.Contains(x.Tier)).ToListAsync(ct)).ToDictionary(x => x.Tier);
        foreach (var (tier, n) in tiers)
        {
            if (!tierRows.TryGetValue(tier, out var row)) db.Add(row = new AnalyticsTierCount { ProgramId = rowKey, Tier = tier });
            row.Members += n;
        }
        var migrationDays = migrations.Keys.Select(k => k.Item1).Distinct().ToList();
        var migrationRows = (await db.Set<AnalyticsTierMigration>().Where(x => x.ProgramId == rowKey && migrationDays.Contains(x.Day)).ToListAsync(ct))
            .ToDictionary(x => (x.Day, x.From, x.To));
        foreach (var (key, n) in migrations)
        {
            if (!migrationRows.TryGetValue(key, out var row)) db.Add(row = new AnalyticsTierMigration { ProgramId = rowKey, Day = key.Item1, From = key.Item2, To = key.Item3 });
            row.Members += n;
        }

        var dailyDays = daily.Keys.ToList();
        var dailyRows = (await db.Set<AnalyticsDaily>().Where(x => x.ProgramId == rowKey && dailyDays.Contains(x.Day)).ToListAsync(ct)).ToDictionary(x => x.Day);
        foreach (var (day, d) in daily)
        {
            if (!dailyRows.TryGetValue(day, out var row)) { db.Add(d); continue; }
            row.NewMembers += d.NewMembers; row.ActiveMembers += d.ActiveMembers; row.Purchases += d.Purchases;
            row.PurchaseAmount = checked(row.PurchaseAmount + d.PurchaseAmount); row.Accruals += d.Accruals;
            row.PointsIssued = checked(row.PointsIssued + d.PointsIssued); row.PointsRedeemed = checked(row.PointsRedeemed + d.PointsRedeemed);
            row.PointsExpired = checked(row.PointsExpired + d.PointsExpired); row.PointsClawedBack = checked(row.PointsClawedBack + d.PointsClawedBack);
            row.GasWei += d.GasWei;
        }
    }
}
