using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Partners;

public static class PartnersServiceCollectionExtensions
{
    /// <summary>Registers partner verification (on-chain balance reads and signed attestations).</summary>
    public static IServiceCollection AddPartners(this IServiceCollection services)
    {
        services.AddScoped<AttestationService>();
        return services;
    }
}
