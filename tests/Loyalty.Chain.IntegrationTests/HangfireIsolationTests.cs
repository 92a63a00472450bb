using Hangfire;
using Hangfire.Common;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Two API hosts in one process keep their Hangfire jobs apart. Hangfire's defaults are process-wide statics
/// (JobStorage.Current, JobActivator.Current) set by whichever host configured last; CI once ran a host whose recurring
/// passes landed in the other host's storage, and its program never left Deploying.
/// </summary>
public sealed class HangfireIsolationTests
{
    [Fact]
    public async Task TwoHostsStartedTogether_EachHaveTheirOwnJobStorageAndActivator()
    {
        // No node is needed to build a host; the Hangfire server is off so nothing polls the unused loopback address.
        var settings = new Dictionary<string, string> { ["Jobs:RunServer"] = "false" };
        await using var a = new ApiFactory("http://127.0.0.1:9", settings);
        await using var b = new ApiFactory("http://127.0.0.1:9", settings);
        await Task.WhenAll(Task.Run(() => a.Server), Task.Run(() => b.Server));

        var storageA = a.Services.GetRequiredService<JobStorage>();
        var storageB = b.Services.GetRequiredService<JobStorage>();
        Assert.NotSame(storageA, storageB);

        // A recurring job registered through host A is in A's storage only.
        a.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate("isolation-probe", Job.FromExpression(() => Console.WriteLine("probe")), Cron.Daily());
        using (var connection = storageA.GetConnection()) Assert.Contains("isolation-probe", connection.GetAllItemsFromSet("recurring-jobs"));
        using (var connection = storageB.GetConnection()) Assert.DoesNotContain("isolation-probe", connection.GetAllItemsFromSet("recurring-jobs"));

        // Each host's activator builds jobs from that host's own services.
        var activatorA = a.Services.GetRequiredService<JobActivator>();
        var activatorB = b.Services.GetRequiredService<JobActivator>();
        Assert.NotSame(activatorA, activatorB);
        using var scope = activatorA.BeginScope((JobActivatorContext)null!);
        var resolved = (IServiceProvider)scope.Resolve(typeof(IServiceProvider));
        Assert.Same(a.Services.GetRequiredService<JobStorage>(), resolved.GetRequiredService<JobStorage>());
    }
}
