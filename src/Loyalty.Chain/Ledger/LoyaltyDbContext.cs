using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// The service's one database (SQLite by default, PostgreSQL to scale out). Each concern keeps its
/// entities and their <see cref="IEntityTypeConfiguration{TEntity}"/> in its own folder; they are
/// picked up here by assembly scan, and reached with <c>db.Set&lt;T&gt;()</c>.
/// </summary>
public sealed class LoyaltyDbContext(DbContextOptions<LoyaltyDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(LoyaltyDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Wei amounts and fees exceed 64 bits: kept exact as decimal strings, never floating point.
        configurationBuilder.Properties<BigInteger>().HaveConversion<BigIntegerToStringConverter>();
    }

    public bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    private sealed class BigIntegerToStringConverter() : ValueConverter<BigInteger, string>(
        v => v.ToString(System.Globalization.CultureInfo.InvariantCulture),
        v => BigInteger.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
}
