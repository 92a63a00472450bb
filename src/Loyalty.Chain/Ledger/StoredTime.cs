namespace Loyalty.Chain.Ledger;

/// <summary>Instants as both databases keep them: PostgreSQL's timestamps hold microseconds, .NET ticks are 100 ns.</summary>
public static class StoredTime
{
    /// <summary>
    /// <paramref name="t"/> truncated to the microsecond. An instant an answer reports and the database stores must be
    /// cut before both, or a client comparing the answer with a later read sees two instants.
    /// </summary>
    public static DateTime Of(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMicrosecond, t.Kind);
}
