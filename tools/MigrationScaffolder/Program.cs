using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;

// Usage: MigrationScaffolder <MigrationName> <path to src/Loyalty.Chain>
// Adds a migration named <MigrationName> for each provider, from the current model, as `dotnet ef
// migrations add` would (same design-time services, same generated code).
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MigrationScaffolder <MigrationName> <project dir of Loyalty.Chain>");
    return 2;
}
var (name, projectDir) = (args[0], Path.GetFullPath(args[1]));
// Model building needs no server: the connection strings are never opened.
var contexts = new (LoyaltyDbContext Context, IDesignTimeServices Provider, string Folder)[]
{
    (new SqliteLoyaltyDbContext(new DbContextOptionsBuilder<SqliteLoyaltyDbContext>().UseSqlite("Data Source=design.db").Options),
        new Microsoft.EntityFrameworkCore.Sqlite.Design.Internal.SqliteDesignTimeServices(), "Ledger/Migrations/Sqlite"),
    (new PostgresLoyaltyDbContext(new DbContextOptionsBuilder<PostgresLoyaltyDbContext>().UseNpgsql("Host=localhost").Options),
        new Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal.NpgsqlDesignTimeServices(), "Ledger/Migrations/PostgreSql"),
};
foreach (var (context, provider, folder) in contexts)
{
    using var _ = context;
    var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices().AddDbContextDesignTimeServices(context);
    provider.ConfigureDesignTimeServices(services);
    using var sp = services.BuildServiceProvider();
    var scaffolder = sp.GetRequiredService<IMigrationsScaffolder>();
    var migration = scaffolder.ScaffoldMigration(name, "Loyalty.Chain", folder.Replace('/', '.'), "C#");
    var files = scaffolder.Save(projectDir, migration, Path.Combine(projectDir, folder));
    Console.WriteLine($"{context.GetType().Name}: {Path.GetRelativePath(projectDir, files.MigrationFile!)}");
}
return 0;
