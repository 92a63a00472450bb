namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that run alone, after the parallel ones: those that read process-wide meters (another host's intake
/// would count too), and the long scale and property runs whose timing budgets assume a quiet machine.
/// Every other class runs beside one more (maxParallelThreads in xunit.runner.json): each API host keeps its own
/// Hangfire storage and job activator (HangfireIsolationTests), so two hosts in one process no longer share jobs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
