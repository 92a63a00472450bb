namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// scripts/test.sh runs this suite twice: on SQLite, then on a real PostgreSQL. The second pass is for the classes
/// where the database is the point: the ledger, intake, concurrency, leases, the outbox, analytics SQL, migrations.
/// A class whose subject is the chain, the node's faults, HTTP hardening or authorization, and whose SQL is the same
/// EF code the other classes already run on PostgreSQL, carries <c>[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]</c>
/// and runs on SQLite only (the pass filters <c>Postgres!=NotThePoint</c>). It keeps the whole suite under its
/// 30-minute budget on CI's 2 cores. A new class runs on both unless it says otherwise.
/// </summary>
public static class PostgresPass
{
    public const string Trait = "Postgres";
    public const string NotThePoint = "NotThePoint";
}
