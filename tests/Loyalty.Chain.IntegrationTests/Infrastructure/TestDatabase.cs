using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Where a test's service instance keeps its ledger. By default a SQLite file; when
/// LOYALTY_TEST_POSTGRES holds a server connection string (scripts/test.sh starts a throwaway PostgreSQL
/// and sets it for the second pass of this suite), a PostgreSQL database per file name instead, so the
/// same tests run on both providers. The same file name always maps to the same database: a harness
/// disposed and started again on it is a restart, as with the file.
/// </summary>
public static class TestDatabase
{
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable("LOYALTY_TEST_POSTGRES") is { Length: > 0 } s ? s : null;
    public static bool IsPostgres => PostgresServer is not null;
    public static string ProviderName => IsPostgres ? "PostgreSql" : "Sqlite";

    /// <summary>The Database:* settings of an instance whose SQLite ledger would be <paramref name="databaseFile"/>.</summary>
    public static Dictionary<string, string?> Settings(string databaseFile)
    {
        if (!IsPostgres) return new() { ["Database:ConnectionString"] = $"Data Source={databaseFile};Default Timeout=30" };
        return new()
        {
            ["Database:Provider"] = "PostgreSql",
            ["Database:ConnectionString"] = EnsureDatabase(databaseFile),
        };
    }

    /// <summary>Creates (once) the PostgreSQL database standing for <paramref name="key"/> and returns its connection string.</summary>
    public static string EnsureDatabase(string key)
    {
        var name = "lc_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(key))))[..24].ToLowerInvariant();
        using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            admin.Open();
            using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", admin);
            exists.Parameters.AddWithValue("n", name);
            if (exists.ExecuteScalar() is null)
            {
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
                try { create.ExecuteNonQuery(); }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { }
            }
        }
        // A host disposed by a test (restarts, crash tests) leaves its pooled connections open until they idle out
        // (300 s by default). With three test classes at a time that ran the server out of connections
        // (53300 "too many clients"), so idle connections close after 10 s here.
        return new NpgsqlConnectionStringBuilder(PostgresServer)
        {
            Database = name, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5,
        }.ConnectionString;
    }

    /// <summary>Every row of every table (ledger and Hangfire schemas) as text: what a dump of the database would show.</summary>
    public static async Task<string> DumpAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
                         "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables " +
                         "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')", conn))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        var text = new StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new NpgsqlCommand($"SELECT row_to_json(t)::text FROM {table} t", conn);
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync()) text.AppendLine(reader.GetString(0));
        }
        return text.ToString();
    }
}
