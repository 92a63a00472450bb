using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Collectibles;

/// <summary>Collectible drops (section "Collectibles").</summary>
public sealed class CollectiblesOptions
{
    public const string Section = "Collectibles";

    /// <summary>
    /// Public origin of this API, baked into each drop's on-chain base URI at publication
    /// ("{PublicBaseUrl}/v1/public/metadata/{programId}/{dropId}/"). Jobs have no request to take it from.
    /// </summary>
    [Required, Url] public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// Recipients per mintBatch. A distinct fresh holder costs about 48k gas, so 350 fit under the 16,777,216 cap
    /// (scripts/gas-report.sh); 300 leaves room for the estimate margin and pricier chains.
    /// </summary>
    [Range(1, 350)] public int MaxBatchSize { get; set; } = 300;

    /// <summary>Batches cut per drop per pass, so one huge airdrop does not hold every nonce at once.</summary>
    [Range(1, 10_000)] public int MaxBatchesPerPass { get; set; } = 20;

    /// <summary>A mint whose batches failed this many times (reverts, errors) is given up as Failed.</summary>
    [Range(1, 100)] public int MaxFailedBatches { get; set; } = 3;

    /// <summary>How long a claim voucher stays valid (capped by the drop's window).</summary>
    public TimeSpan VoucherLifetime { get; set; } = TimeSpan.FromDays(7);

    public string BaseUriFor(long programId, long dropId) => $"{PublicBaseUrl.TrimEnd('/')}/v1/public/metadata/{programId}/{dropId}/";

    public string ImageUrlFor(long programId, long dropId) => $"{PublicBaseUrl.TrimEnd('/')}/v1/public/drops/{programId}/{dropId}/image";
}

public static class CollectiblesServiceCollectionExtensions
{
    /// <summary>
    /// Registers drops, airdrops, vouchers, badges and metadata. Needs <c>AddLoyaltyChainCore</c> (database,
    /// pipeline, custody). The host runs <see cref="DropProcessor.RunAsync"/> from its recurring job. Without
    /// <paramref name="configuration"/> the options bind from the IConfiguration registered in the container.
    /// </summary>
    public static IServiceCollection AddCollectibles(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var options = services.AddOptions<CollectiblesOptions>();
        options = configuration is null ? options.BindConfiguration(CollectiblesOptions.Section)
            : options.Bind(configuration.GetSection(CollectiblesOptions.Section));
        options.ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<DropService>();
        services.AddScoped<DropAudienceResolver>();
        services.AddScoped<DropGrants>();
        services.AddScoped<DropProcessor>();
        services.AddScoped<VoucherService>();
        services.AddScoped<BadgeAwarder>();
        services.AddScoped<CollectibleQueries>();
        return services;
    }
}
