using Loyalty.Chain;
using Loyalty.Chain.Api.Features;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Partners;
using Loyalty.Chain.Transactions;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddLoyaltyChainCore(builder.Configuration);
builder.Services.AddIndexer();
builder.Services.AddPartners();
builder.Services.AddPublicRateLimiter();
builder.Services.AddAbuseRateLimits();
builder.Services.AddScoped<Loyalty.Chain.Indexer.IIndexedContracts, Loyalty.Chain.Programs.ProgramIndexedContracts>();
builder.Services.AddLoyaltyJobs(builder.Configuration);
builder.Services.AddOptions<AdminOptions>().Bind(builder.Configuration.GetSection(AdminOptions.Section));
builder.Services.AddSingleton<AdminKeyVerifier>();
builder.Services.AddOptions<HealthOptions>().Bind(builder.Configuration.GetSection(HealthOptions.Section));
builder.Services.AddSingleton<ProgramCache>();
builder.Services.AddCodedProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddOpenApi(OpenApiSetup.Configure);
builder.AddLoyaltyTelemetry();
builder.Services.AddLoyaltyHealthChecks();
builder.Services.AddWebPages(builder.Configuration);
builder.Services.AddOptions<Loyalty.Chain.Api.Features.WalletOptions>().Bind(builder.Configuration.GetSection(Loyalty.Chain.Api.Features.WalletOptions.Section));
builder.Services.AddSingleton<Loyalty.Chain.Api.Chain.ChainOptionsAccessor>();
builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(o => { o.SerializerOptions.Converters.Add(new NamedEnumConverter()); o.SerializerOptions.Converters.Add(new NoNulStringConverter()); });
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = 1024 * 1024;
    k.ConfigureEndpointDefaults(listen => listen.UseCodedBadRequests());
});

var app = builder.Build();

await app.Services.InitializeDatabaseAsync();
using (var scope = app.Services.CreateScope())
{
    // The relayer key is generated once and kept encrypted; only its address is ever shown.
    var operatorAddress = await scope.ServiceProvider.GetRequiredService<CustodyService>().GetOrCreateServiceKeyAsync("operator", null);
    app.Logger.LogInformation("Operator (gas payer) address: {Address}", operatorAddress);
}

app.UseSecurityHeaders();
app.UseExceptionHandler();
// Kestrel enforces the limit on the wire; this also answers clients that announce an oversize body, with a code.
app.Use(async (http, next) =>
{
    if (http.Request.ContentLength > 1024 * 1024)
        throw new LoyaltyException("BODY_TOO_LARGE", "request bodies are at most 1 MiB", StatusCodes.Status413PayloadTooLarge);
    await next(http);
});
app.UseIdempotencyBuffering();
app.UseCodedStatusCodePages();
app.UseRateLimiter();
app.MapOpenApi();
app.MapScalarApiReference("/docs", OpenApiSetup.ConfigureDocs);
app.MapLoyaltyTelemetry();
app.UseAdminOnlyDashboard("/hangfire");
app.MapWebPages();
app.MapHealth();
app.MapOperations();
app.MapPrograms();
app.MapOwnership();
app.MapMe();
app.MapMembers();
app.MapMemberSessions();
app.MapEvents();
app.MapRules();
app.MapSettlement();
app.MapWallets();
app.MapDrops();
app.MapRewards();
app.MapRedemptions();
app.MapAdjustments();
app.MapCoupons();
app.MapPartners();
app.MapTiers();
app.MapDonations();
app.MapLeaderboard();
app.MapRecommendations();
app.MapCatalog();
app.MapReferrals();
app.MapChallenges();
app.MapSegments();
app.MapAnalytics();
app.MapOffers();
app.MapWebhooks();
app.MapSunset();
app.Services.ScheduleRecurringJobs();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
