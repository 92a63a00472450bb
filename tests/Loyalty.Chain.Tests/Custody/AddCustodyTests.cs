using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Tests.Custody;

public sealed class AddCustodyTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("custody-di-").FullName;

    [Fact]
    public async Task AddCustody_WithTheCustodySection_BindsOptionsAndServesWorkingServices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Custody:DataDirectory"] = folder,
            ["Custody:KeystoreScryptN"] = "4096",
            ["Custody:SiweNonceLifetime"] = "00:05:00",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddDbContext<LoyaltyDbContext>(o => o.UseSqlite("Data Source=" + Path.Combine(folder, "loyalty.db")))
            .AddCustody();

        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await using var scope = provider.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Database.EnsureCreated();
        var wallet = await scope.ServiceProvider.GetRequiredService<CustodyService>().CreateWalletAsync(1);
        var nonce = await scope.ServiceProvider.GetRequiredService<WalletLinkService>().IssueNonceAsync(1, 1, "0x0000000000000000000000000000000000000001");

        var options = provider.GetRequiredService<IOptions<CustodyOptions>>().Value;
        Assert.Equal(4096, options.KeystoreScryptN);
        Assert.Equal(TimeSpan.FromMinutes(5), nonce.ExpiresAt - nonce.IssuedAt);
        Assert.Equal(0, wallet.Index);
        Assert.True(File.Exists(Path.Combine(folder, "custody.kek")));
        Assert.IsType<LocalKeyEncryptionKey>(provider.GetRequiredService<IKeyEncryptionKey>());
    }

    [Fact]
    public void AddCustody_WithoutACustodyDataDirectory_KeepsTheKeyFileInTheDatabasesDataFolder()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:DataDirectory"] = folder,
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddCustody().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<CustodyOptions>>().Value;

        Assert.Equal(Path.Combine(folder, "custody.kek"), options.ResolveKeyFile());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
