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
}
