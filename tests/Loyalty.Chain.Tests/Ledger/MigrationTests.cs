using Loyalty.Chain.Analytics;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Loyalty.Chain.Tests.Ledger;

/// <summary>The schema is created by migrations on both providers; a model change without its migrations fails here.</summary>
public sealed class MigrationTests
{
    public static TheoryData<string> Providers => new() { "Sqlite", "PostgreSql" };

    private static LoyaltyDbContext Create(string provider) => provider == "Sqlite"
        ? new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>().UseSqlite("Data Source=:memory:").Options)
        // Never opened: the model and the migrations need no server.
        : new PostgresLoyaltyDbContext(new DbContextOptionsBuilder<PostgresLoyaltyDbContext>().UseNpgsql("Host=127.0.0.1").Options);

    [Theory]
    [MemberData(nameof(Providers))]
    public void Model_HasNoChangesMissingFromTheMigrations(string provider)
    {
        using var db = Create(provider);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            $"the {provider} model has changes no migration covers: run ./scripts/add-migration.sh <Name> and commit");
    }

    [Fact]
    public void EachProvider_HasItsOwnMigrations()
    {
        using var sqlite = Create("Sqlite");
        using var pg = Create("PostgreSql");
        var a = sqlite.Database.GetMigrations().ToList();
        var b = pg.Database.GetMigrations().ToList();
        Assert.Equal(a.Count, b.Count);
        Assert.Empty(a.Intersect(b));
    }

    [Fact]
    public async Task Migrate_OnAFreshSqliteFile_CreatesTheSchemaAndRecordsEveryMigration()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lc-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await using (var db = new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>()
                             .UseSqlite($"Data Source={file};Pooling=False").Options))
            {
                await db.Database.MigrateAsync();
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());
                Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
                // Tables exist and are usable through the model.
                Assert.Equal(0, await db.Set<Loyalty.Chain.Members.Member>().CountAsync());
                // A second start is a no-op.
                await db.Database.MigrateAsync();
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Roll-ups folded before the tier fix (91d86da) are wrong: upgrading past AnalyticsRebuilds queues one rebuild per
    /// program that has roll-ups, so the rebuild job refolds each of them.
    /// </summary>
    [Fact]
    public async Task Upgrade_PastAnalyticsRebuilds_QueuesARebuildForEveryProgramRolledUpBefore()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lc-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>()
                .UseSqlite($"Data Source={file};Pooling=False").Options);
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_AnalyticsRebuilds")) - 1];
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(before);
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO "AnalyticsStates" ("ProgramId", "LedgerHwm", "EventHwm", "MemberHwm", "TierChangeHwm", "BatchHwm", "MembersTotal", "Pending", "Available", "UpdatedAt")
                VALUES (3, 10, 10, 10, 10, 0, 5, 0, 0, '2026-12-01 00:00:00'), (8, 1, 1, 1, 1, 0, 1, 0, 0, '2026-12-01 00:00:00')
                """);
            await db.Database.MigrateAsync();

            var queued = await db.Set<Loyalty.Chain.Analytics.AnalyticsRebuild>().OrderBy(r => r.ProgramId).ToListAsync();
            Assert.Equal([3L, 8L], queued.Select(r => r.ProgramId));
            Assert.All(queued, r =>
            {
                Assert.Equal(Loyalty.Chain.Analytics.RebuildStatus.Queued, r.Status);
                Assert.Equal("upgrade", r.RequestedBy);
                Assert.True(r.RequestedAt > new DateTime(2026, 1, 1));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Sessions named their member by external id until MemberSessionsByInternalId: an open session is kept, now naming
    /// the member's internal id; a session whose member is no longer found is ended.
    /// </summary>
    [Fact]
    public async Task Upgrade_PastMemberSessionsByInternalId_KeepsOpenSessionsUnderTheMembersInternalId()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lc-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>()
                .UseSqlite($"Data Source={file};Pooling=False").Options);
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_MemberSessionsByInternalId")) - 1];
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(before);
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO "Members" ("Id", "ProgramId", "ExternalId", "WalletAddress", "WalletKind", "CreatedAt")
                VALUES (41, 3, 'ann@example.com', '0x01', 'Custodial', '2026-12-01 00:00:00'), (42, 4, 'ann@example.com', '0x02', 'Custodial', '2026-12-01 00:00:00');
                INSERT INTO "MemberSessions" ("SecretHash", "CsrfHash", "ProgramId", "MemberId", "Method", "CreatedAt", "ExpiresAt")
                VALUES ('a', 'a', 4, 'ann@example.com', 'token', '2026-12-01 00:00:00', '2026-12-01 00:30:00'),
                       ('b', 'b', 3, 'gone', 'siwe', '2026-12-01 00:00:00', '2026-12-01 00:30:00');
                """);
            await db.Database.MigrateAsync();

            var sessions = await db.Set<Loyalty.Chain.Access.MemberSession>().ToListAsync();
            var kept = Assert.Single(sessions);
            Assert.Equal(("a", 4L, 42L), (kept.SecretHash, kept.ProgramId, kept.MemberId));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Upgrading past AnalyticsMemberStates fills the per-member, per-rule-member and per-month rows from the presence rows
    /// folded before it, as the fold would have: a range ending today reads its distinct counts from them.
    /// </summary>
    [Fact]
    public async Task Upgrade_PastAnalyticsMemberStates_FillsThemFromTheMemberDays()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lc-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>()
                .UseSqlite($"Data Source={file};Pooling=False").Options);
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_AnalyticsMemberStates")) - 1];
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(before);
            // Member 1: purchases on days 10 (two), 12 and 15, a non-purchase earn on 20. Member 2: two on day 30. Member 3:
            // one purchase on day 5. Member 4: only an earn. Key -7 (a rebuild's shadow): member 1, one purchase on day 3.
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO "AnalyticsMemberDays" ("ProgramId", "Day", "MemberId", "Purchases") VALUES
                    (7, 10, 1, 2), (7, 12, 1, 1), (7, 15, 1, 1), (7, 20, 1, 0), (7, 30, 2, 2), (7, 5, 3, 1), (7, 8, 4, 0), (-7, 3, 1, 1);
                INSERT INTO "AnalyticsRuleMemberDays" ("ProgramId", "RuleId", "Day", "MemberId") VALUES (7, 1, 10, 1), (7, 1, 15, 1), (7, 2, 30, 2), (7, 1, 5, 3);
                INSERT INTO "AnalyticsMemberMonths" ("ProgramId", "MemberId", "Month") VALUES (7, 1, 100), (7, 2, 100), (7, 1, 101), (-7, 1, 100);
                """);
            await db.Database.MigrateAsync();

            var states = (await db.Set<AnalyticsMemberState>().ToListAsync()).OrderBy(x => x.ProgramId).ThenBy(x => x.MemberId)
                .Select(x => (x.ProgramId, x.MemberId, x.LastActiveDay, x.LastPurchaseDay, x.PrevPurchaseDay));
            Assert.Equal([(-7L, 1L, 3, 3, (int?)null), (7L, 1L, 20, 15, 12), (7L, 2L, 30, 30, 30), (7L, 3L, 5, 5, null), (7L, 4L, 8, null, null)], states);
            var rules = (await db.Set<AnalyticsRuleMemberState>().ToListAsync()).OrderBy(x => x.RuleId).ThenBy(x => x.MemberId).Select(x => (x.RuleId, x.MemberId, x.LastDay));
            Assert.Equal([(1L, 1L, 15), (1L, 3L, 5), (2L, 2L, 30)], rules);
            var monthly = (await db.Set<AnalyticsMonthly>().ToListAsync()).OrderBy(x => x.ProgramId).ThenBy(x => x.Month).Select(x => (x.ProgramId, x.Month, x.ActiveMembers));
            Assert.Equal([(-7L, 100, 1L), (7L, 100, 2L), (7L, 101, 1L)], monthly);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The fold's per-member update keeps the two latest purchase days in any order of arrival (back-dated events).</summary>
    [Fact]
    public void MemberState_Add_KeepsTheTwoLatestPurchaseDaysInAnyOrder()
    {
        var days = new[] { (15, 1), (10, 2), (20, 0), (12, 1), (15, 1) };
        foreach (var order in new[] { days, days.Reverse().ToArray(), [days[2], days[1], days[4], days[0], days[3]] })
        {
            var s = new AnalyticsMemberState { LastActiveDay = order[0].Item1 };
            foreach (var (day, purchases) in order) s.Add(day, purchases);
            Assert.Equal((20, 15, 15), (s.LastActiveDay, s.LastPurchaseDay!.Value, s.PrevPurchaseDay!.Value));
        }
    }
}
