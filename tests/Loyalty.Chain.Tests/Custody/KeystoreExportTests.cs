using System.Text.Json.Nodes;
using Loyalty.Chain.Custody;
using NBitcoin;
using Nethereum.KeyStore;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

public sealed class KeystoreExportTests : IDisposable
{
    private const string Password = "correct horse battery";
    private readonly CustodyTestEnvironment env = new();

    [Fact]
    public async Task ExportMemberKeystore_DecryptsWithNethereumToTheWalletsKey()
    {
        var custody = env.NewCustodyService();
        await custody.CreateWalletAsync(1);
        var wallet = await custody.CreateWalletAsync(1);

        var json = await custody.ExportMemberKeystoreAsync(1, wallet.Index, Password);

        var key = new EthECKey(new KeyStoreService().DecryptKeyStoreFromJson(Password, json), true);
        Assert.Equal(wallet.Address, key.GetPublicAddress().ToLowerInvariant());
        Assert.Equal(wallet.Address[2..], JsonNode.Parse(json)!["address"]!.GetValue<string>());
        Assert.Equal(4096, JsonNode.Parse(json)!["crypto"]!["kdfparams"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task ExportProgramSeed_RederivesEveryWalletWithAStandardWallet()
    {
        var custody = env.NewCustodyService();
        var wallets = new[] { await custody.CreateWalletAsync(5), await custody.CreateWalletAsync(5), await custody.CreateWalletAsync(5) };

        var export = JsonNode.Parse(await custody.ExportProgramSeedAsync(5, Password))!;

        Assert.Equal(CustodyService.SeedExportFormat, export["format"]!.GetValue<string>());
        Assert.Equal(3, export["walletCount"]!.GetValue<int>());
        Assert.Equal("m/44'/60'/0'/0/{index}", export["derivationPath"]!.GetValue<string>());
        var entropy = new KeyStoreService().DecryptKeyStoreFromJson(Password, export["keystore"]!.ToJsonString());
        // Rebuilt as a member would: a 24-word mnemonic in NBitcoin, not through our own derivation code.
        var mnemonic = new Mnemonic(Wordlist.English, entropy);
        Assert.Equal(24, mnemonic.Words.Length);
        foreach (var wallet in wallets)
        {
            var secret = mnemonic.DeriveExtKey().Derive(new KeyPath($"m/44'/60'/0'/0/{wallet.Index}")).PrivateKey.ToBytes();
            Assert.Equal(wallet.Address, new EthECKey(secret, true).GetPublicAddress().ToLowerInvariant());
        }
    }

    [Fact]
    public async Task ExportServiceKeystore_DecryptsToTheOperatorKey()
    {
        var custody = env.NewCustodyService();
        var operatorAddress = await custody.GetOrCreateServiceKeyAsync("operator", null);

        var json = await custody.ExportServiceKeystoreAsync("operator", null, Password);

        var key = new EthECKey(new KeyStoreService().DecryptKeyStoreFromJson(Password, json), true);
        Assert.Equal(operatorAddress, key.GetPublicAddress().ToLowerInvariant());
    }

    [Fact]
    public async Task ExportServiceKeystore_OfAKeyWithLeadingZeroBytes_HoldsAll32Bytes()
    {
        // Geth and ethers refuse a keystore whose key is shorter than 32 bytes.
        var custody = env.NewCustodyService();
        var address = await custody.ImportServiceKeyAsync("attestation", 1, "0000" + new string('1', 60));

        var json = await custody.ExportServiceKeystoreAsync("attestation", 1, Password);

        var secret = new KeyStoreService().DecryptKeyStoreFromJson(Password, json);
        Assert.Equal(32, secret.Length);
        Assert.Equal(address, new EthECKey(secret, true).GetPublicAddress().ToLowerInvariant());
    }

    [Theory]
    [InlineData("")]
    [InlineData("short pass!")]
    public async Task Exports_WithAPasswordUnder12Characters_AreRefused(string password)
    {
        var custody = env.NewCustodyService();
        await custody.CreateWalletAsync(1);
        await custody.GetOrCreateServiceKeyAsync("operator", null);

        await Assert.ThrowsAsync<ArgumentException>(() => custody.ExportMemberKeystoreAsync(1, 0, password));
        await Assert.ThrowsAsync<ArgumentException>(() => custody.ExportProgramSeedAsync(1, password));
        await Assert.ThrowsAsync<ArgumentException>(() => custody.ExportServiceKeystoreAsync("operator", null, password));
    }

    [Fact]
    public async Task ExportProgramSeed_ForAProgramWithoutWallets_ThrowsSeedNotFound()
    {
        var error = await Assert.ThrowsAsync<CustodyException>(() => env.NewCustodyService().ExportProgramSeedAsync(9, Password));

        Assert.Equal(CustodyErrorCodes.SeedNotFound, error.Code);
    }

    public void Dispose() => env.Dispose();
}
