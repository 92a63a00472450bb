using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Indexer;

public static class IndexerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Transfer-log indexer. The host registers <c>AddLoyaltyChainCore</c> (database,
    /// <c>Web3Factory</c>, <see cref="TimeProvider"/>), an <see cref="IIndexedContracts"/>, and schedules
    /// <see cref="IndexerJobs.ScanAllAsync"/> every <see cref="IndexerOptions.Interval"/>.
    /// </summary>
    public static IServiceCollection AddIndexer(this IServiceCollection services)
    {
        services.AddOptions<IndexerOptions>().BindConfiguration(IndexerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<TransferIndexer>();
        services.AddScoped<ReorgRecovery>();
        services.AddTransient<IndexerJobs>();
        return services;
    }
}
