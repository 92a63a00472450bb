using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Intake;

public static class IntakeServiceCollectionExtensions
{
    /// <summary>
    /// Event intake: validation and replays per request, and the one writer that commits accepted events in
    /// batches (group commit). Settings come from the "Intake" section when an <see cref="IConfiguration"/> is
    /// registered; a bare ServiceCollection gets the defaults.
    /// </summary>
    public static IServiceCollection AddIntake(this IServiceCollection services)
    {
        services.AddOptions<IntakeOptions>()
            .Configure<IServiceProvider>((options, sp) => sp.GetService<IConfiguration>()?.GetSection(IntakeOptions.Section).Bind(options))
            .ValidateDataAnnotations();
        services.AddOptions<IntakeLimitsOptions>()
            .Configure<IServiceProvider>((options, sp) => sp.GetService<IConfiguration>()?.GetSection(IntakeLimitsOptions.Section).Bind(options))
            .ValidateDataAnnotations();
        services.AddSingleton<IntakeCommitQueue>();
        services.AddScoped<IntakeBatchWriter>();
        services.AddScoped<EventIntakeService>();
        return services;
    }
}
