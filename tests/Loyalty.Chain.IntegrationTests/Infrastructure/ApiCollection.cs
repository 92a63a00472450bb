namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that host the API run one after another: Hangfire keeps its job storage in a static
/// (JobStorage.Current), so two hosts in one process at the same time could pick up each other's jobs.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection
{
    public const string Name = "API host";
}
