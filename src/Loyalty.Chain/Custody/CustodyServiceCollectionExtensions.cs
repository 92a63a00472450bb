using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Custody;

public static class CustodyServiceCollectionExtensions
{
    /// <summary>
    /// Registers custody. The host registers <c>LoyaltyDbContext</c> and <see cref="TimeProvider"/>. A KMS-backed
    /// <see cref="IKeyEncryptionKey"/> registered before this call replaces the local key file.
    /// </summary>
    public static IServiceCollection AddCustody(this IServiceCollection services)
    {
        services.AddOptions<CustodyOptions>()
            .BindConfiguration(CustodyOptions.SectionName)
            .PostConfigure<IConfiguration>((o, configuration) =>
                o.DataDirectory ??= configuration["Database:DataDirectory"])
            .Validate(o => o.KeystoreScryptN > 1 && (o.KeystoreScryptN & (o.KeystoreScryptN - 1)) == 0,
                "Custody:KeystoreScryptN must be a power of two greater than 1.")
            .Validate(o => o.SiweNonceLifetime > TimeSpan.Zero, "Custody:SiweNonceLifetime must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton<IKeyEncryptionKey>(sp => LocalKeyEncryptionKey.FromOptions(sp.GetRequiredService<IOptions<CustodyOptions>>()));
        services.TryAddScoped<KekRotation>();
        services.TryAddScoped<CustodyService>();
        services.TryAddScoped<WalletLinkService>();
        return services;
    }
}
