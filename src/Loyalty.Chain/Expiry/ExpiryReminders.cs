using Loyalty.Chain.Alerts;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Expiry;

/// <summary>Expiry warning settings (section "Expiry").</summary>
public sealed class ExpiryOptions
{
    public const string Section = "Expiry";
    /// <summary>How far ahead a member is warned (the <c>points.expiring_soon</c> webhook) of points that will expire.</summary>
    public int ReminderDays { get; set; } = 14;
}

/// <summary>
/// One warning sent: a member, the expiry day (its local midnight, in UTC) and how many points. The unique (member, day)
/// pair makes each warning go out once, however often the pass runs or however many instances run it.
/// </summary>
public sealed class ExpiryReminder
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public DateTime ExpiresAt { get; set; }
    public long Points { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class ExpiryReminderConfiguration : IEntityTypeConfiguration<ExpiryReminder>
{
    public void Configure(EntityTypeBuilder<ExpiryReminder> b)
    {
        b.ToTable("ExpiryReminders");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.MemberId, x.ExpiresAt }).IsUnique();
        b.HasIndex(x => new { x.ProgramId, x.CreatedAt });
    }
}

/// <summary>
/// The expiry warning pass (the daily pass, after expiry; also POST …/expiry/run): for each custodial member whose available points expire within
/// <see cref="ExpiryOptions.ReminderDays"/>, the <c>points.expiring_soon</c> event, once per member and expiry day in the
/// program's zone, written with its reminder row in one transaction (the outbox). Under the fixed policy a member earning
/// daily gets one warning per day that lots expire on, not one per lot; under inactivity the balance's date moves with
/// activity, so a new day warns again. Self-custody points never expire and are
/// never warned about. One program's failure is its own.
/// </summary>
public sealed class ExpiryReminderService(LoyaltyDbContext db, AlertSink alerts, TimeProvider time, IOptions<ExpiryOptions> options,
    ILogger<ExpiryReminderService> logger)
{
    public const string Step = "expiry-reminders";
    private const int MembersPerQuery = 200;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        if (options.Value.ReminderDays <= 0) return 0;
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking()
            .Where(p => p.Status == ProgramStatus.Active && p.ExpiryPolicy != ExpiryPolicy.None).OrderBy(p => p.Id).ToListAsync(ct);
        var sent = 0;
        foreach (var program in programs)
            sent += await alerts.ForProgramAsync(db, logger, Step, program.Id, () => RunProgramAsync(program, ct), ct);
        return sent;
    }

    /// <summary>Writes the warnings now due in one program; returns how many.</summary>
    public async Task<int> RunProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        if (!Webhooks.WebhookOutbox.IsSubscribed(db, program.Id, "points.expiring_soon")) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var horizon = TimeSpan.FromDays(options.Value.ReminderDays);
        var sent = 0;
        var last = 0L;
        while (true)
        {
            var after = last;
            var members = await Candidates(program, now, now + horizon).Where(id => id > after).OrderBy(id => id).Take(MembersPerQuery).ToListAsync(ct);
            if (members.Count == 0) break;
            foreach (var memberId in members)
                sent += await db.InWriteTransactionAsync(c => RemindMemberAsync(program, memberId, now, horizon, c), ct);
            last = members[^1];
        }
        if (sent > 0) logger.LogInformation("Program {ProgramId}: {Count} expiry warnings written", program.Id, sent);
        return sent;
    }

    /// <summary>Custodial members who may have points expiring before <paramref name="until"/> (checked exactly per member).</summary>
    private IQueryable<long> Candidates(LoyaltyProgram program, DateTime now, DateTime until)
    {
        var custodial = db.Set<Member>().Where(m => m.ProgramId == program.Id && m.WalletKind == WalletKind.Custodial);
        if (program.ExpiryPolicy == ExpiryPolicy.Fixed)
            return (from l in db.Set<PointLot>()
                    join m in custodial on l.MemberId equals m.Id
                    where l.ProgramId == program.Id && l.Remaining > 0 && l.ExpiresAt != null && l.ExpiresAt > now && l.ExpiresAt <= until
                    select l.MemberId).Distinct();
        // Inactivity: those whose balance expires by then are those inactive since the cutoff of that moment.
        return from m in ExpiryService.Inactive(db, custodial, ExpiryRules.InactivityCutoff(program, until))
               join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
               where b.Available > 0
               select m.Id;
    }

    private async Task<int> RemindMemberAsync(LoyaltyProgram program, long memberId, DateTime now, TimeSpan horizon, CancellationToken ct)
    {
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == memberId, ct);
        var soon = await ExpiryService.SoonAsync(db, program, member, now, horizon, ct);
        var written = 0;
        // One warning per expiry day in the program's zone (a member earning daily is not warned for every lot):
        // keyed by that day's local midnight, it carries the day's points and its earliest instant.
        var zone = program.Zone;
        var days = soon.Where(s => s.At > now && s.Amount > 0)
            .Select(s => (At: DateTime.SpecifyKind(s.At, DateTimeKind.Utc), s.Amount))
            .GroupBy(s => TimeZoneInfo.ConvertTimeFromUtc(s.At, zone).Date)
            .OrderBy(g => g.Key);
        foreach (var day in days)
        {
            var key = DayStartUtc(day.Key, zone);
            if (await db.Set<ExpiryReminder>().AnyAsync(r => r.MemberId == memberId && r.ExpiresAt == key, ct)) continue;
            var points = day.Aggregate(0L, (sum, s) => checked(sum + s.Amount));
            var at = day.Min(s => s.At);
            db.Set<ExpiryReminder>().Add(new ExpiryReminder
            {
                ProgramId = program.Id, MemberId = memberId, ExpiresAt = key, Points = points, CreatedAt = now,
            });
            Webhooks.WebhookOutbox.Enqueue(db, program.Id, "points.expiring_soon", memberId, new
            {
                programId = program.Id, memberId = member.ExternalId,
                points = points.ToString(System.Globalization.CultureInfo.InvariantCulture), expiresAt = at,
            });
            written++;
        }
        if (written > 0) await db.SaveChangesAsync(ct);
        return written;
    }

    private static DateTime DayStartUtc(DateTime localDate, TimeZoneInfo zone) =>
        ExpiryRules.ToUtc(DateTime.SpecifyKind(localDate, DateTimeKind.Unspecified), zone);
}
