using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.Intake;

public static class IntakeServiceCollectionExtensions
{
    /// <summary>Event intake: validation, rules and the one-transaction write of an accepted event.</summary>
    public static IServiceCollection AddIntake(this IServiceCollection services)
    {
        services.AddScoped<EventIntakeService>();
        return services;
    }
}
