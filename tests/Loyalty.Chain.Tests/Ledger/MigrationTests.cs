using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

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
}
