using Loyalty.Chain.Access;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Chain.Tests.Access;

/// <summary>How promptly a revoked API key stops working, now that valid lookups are reused (real SQLite file).</summary>
public sealed class ApiKeyCacheTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("apikey-tests-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        var collection = new ServiceCollection();
        collection.AddDbContext<LoyaltyDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(folder, "loyalty.db")};Pooling=False"));
        collection.AddSingleton<TimeProvider>(time);
        collection.AddSingleton<ApiKeyCache>();
        collection.AddScoped<ApiKeyService>();
        services = collection.BuildServiceProvider();
        await WithAsync((db, _) => db.Database.EnsureCreatedAsync());
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Each call in its own scope, as each request has.</summary>
    private async Task<T> WithAsync<T>(Func<LoyaltyDbContext, ApiKeyService, Task<T>> use)
    {
        await using var scope = services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>(), scope.ServiceProvider.GetRequiredService<ApiKeyService>());
    }

    private Task<(ApiKey Key, string Plaintext)> CreateAsync() => WithAsync(async (db, keys) =>
    {
        var created = keys.Create(7, ApiRole.Shop, "till");
        await db.SaveChangesAsync();
        return created;
    });

    private Task<ApiPrincipal?> AuthenticateAsync(string plaintext) => WithAsync((_, keys) => keys.AuthenticateAsync(plaintext, default));

    [Fact]
    public async Task KeyRevokedThroughTheService_IsRefusedAtOnce()
    {
        var (key, plaintext) = await CreateAsync();
        Assert.Equal(key.Id, (await AuthenticateAsync(plaintext))!.KeyId);

        Assert.True(await WithAsync((_, keys) => keys.RevokeAsync(7, key.Id, default)));

        Assert.Null(await AuthenticateAsync(plaintext));
    }

    [Fact]
    public async Task KeyRevokedByAnotherInstance_IsRefusedWithinCacheFor()
    {
        var (key, plaintext) = await CreateAsync();
        Assert.NotNull(await AuthenticateAsync(plaintext));

        // Another instance sharing the database revokes it: this one does not hear of it.
        await WithAsync((db, _) => db.Set<ApiKey>().Where(k => k.Id == key.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, time.GetUtcNow().UtcDateTime)));
        Assert.NotNull(await AuthenticateAsync(plaintext));
        time.Advance(ApiKeyService.CacheFor);

        Assert.Null(await AuthenticateAsync(plaintext));
    }

    [Fact]
    public async Task UnknownKey_IsNotRemembered_SoAKeyCreatedLaterWorksAtOnce()
    {
        const string plaintext = "lc_shop_created-after-a-first-try";
        Assert.Null(await AuthenticateAsync(plaintext));

        var id = await WithAsync(async (db, _) =>
        {
            var key = new ApiKey { ProgramId = 7, Role = ApiRole.Shop, Name = "late", Prefix = "lc_shop_cre", Hash = ApiKeyService.Hash(plaintext) };
            db.Add(key);
            await db.SaveChangesAsync();
            return key.Id;
        });

        Assert.Equal(id, (await AuthenticateAsync(plaintext))!.KeyId);
    }
}
