using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// The service's one database (SQLite by default, PostgreSQL to scale out). Each concern keeps its
/// entities and their <see cref="IEntityTypeConfiguration{TEntity}"/> in its own folder; they are
/// picked up here by assembly scan, and reached with <c>db.Set&lt;T&gt;()</c>.
/// The service registers one subclass per provider (<see cref="SqliteLoyaltyDbContext"/>,
/// <see cref="PostgresLoyaltyDbContext"/>) only so that each has its own migrations; code asks for this type.
/// </summary>
public class LoyaltyDbContext(DbContextOptions options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(LoyaltyDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Wei amounts and fees exceed 64 bits: kept exact as decimal strings, never floating point.
        configurationBuilder.Properties<BigInteger>().HaveConversion<BigIntegerToStringConverter>();
        // Every timestamp is UTC. SQLite hands them back as Kind=Unspecified and PostgreSQL's timestamptz
        // refuses anything but Kind=Utc: one converter makes both providers read and write UTC.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    public bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class BigIntegerToStringConverter() : ValueConverter<BigInteger, string>(
        v => v.ToString(System.Globalization.CultureInfo.InvariantCulture),
        v => BigInteger.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>The SQLite flavour of the schema: its migrations live in Ledger/Migrations/Sqlite.</summary>
public sealed class SqliteLoyaltyDbContext(DbContextOptions<SqliteLoyaltyDbContext> options) : LoyaltyDbContext(options);

/// <summary>The PostgreSQL flavour of the schema: its migrations live in Ledger/Migrations/PostgreSql.</summary>
public sealed class PostgresLoyaltyDbContext(DbContextOptions<PostgresLoyaltyDbContext> options) : LoyaltyDbContext(options);
