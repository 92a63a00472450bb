using System.Collections.Concurrent;
using System.Reflection;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// The program row every program route loads, kept for a few seconds once the program is Active or Failed:
/// from then on nothing changes it (activation only moves Deploying and Configuring programs), so the cached
/// row is the row. Programs still deploying are read fresh on every request, so their status shows at once.
/// Each request gets its own copy, so no handler can change what another sees. A singleton of the host.
/// </summary>
internal sealed class ProgramCache
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private static readonly Func<object, object> ShallowCopy = typeof(object)
        .GetMethod(nameof(MemberwiseClone), BindingFlags.Instance | BindingFlags.NonPublic)!
        .CreateDelegate<Func<object, object>>();

    private readonly ConcurrentDictionary<long, (LoyaltyProgram Program, DateTimeOffset Until)> entries = new();

    /// <summary>The program, or null when there is none.</summary>
    public async Task<LoyaltyProgram?> GetAsync(HttpContext http, long programId)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (entries.TryGetValue(programId, out var entry) && entry.Until > now) return Copy(entry.Program);
        var program = await http.RequestServices.GetRequiredService<LoyaltyDbContext>().Set<LoyaltyProgram>().AsNoTracking()
            .SingleOrDefaultAsync(p => p.Id == programId, http.RequestAborted);
        if (program is { Status: ProgramStatus.Active or ProgramStatus.Failed }) entries[programId] = (Copy(program), now + CacheFor);
        return program;
    }

    /// <summary>After a settings change or pause on this instance (others see it within <see cref="CacheFor"/>; writes check the row).</summary>
    public void Forget(long programId) => entries.TryRemove(programId, out _);

    private static LoyaltyProgram Copy(LoyaltyProgram program) => (LoyaltyProgram)ShallowCopy(program);
}
