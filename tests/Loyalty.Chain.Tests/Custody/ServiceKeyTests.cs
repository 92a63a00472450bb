using Loyalty.Chain.Custody;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

public sealed class ServiceKeyTests : IDisposable
{
    // Hardhat's account #0: a well-known funded key on local nodes, as an operator key from configuration.
    private const string HardhatKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    private const string HardhatAddress0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

    private readonly CustodyTestEnvironment env = new();

    [Fact]
    public async Task GetOrCreateServiceKey_CalledTwice_ReturnsTheSameRandomKey()
    {
        var custody = env.NewCustodyService();

        var first = await custody.GetOrCreateServiceKeyAsync("operator", null);
        var again = await env.NewCustodyService().GetOrCreateServiceKeyAsync("operator", null);

        Assert.Equal(first, again);
        Assert.Matches("^0x[0-9a-f]{40}$", first);
    }

    [Fact]
    public async Task ServiceKeys_ForDifferentPurposesOrPrograms_AreSeparateKeys()
    {
        var custody = env.NewCustodyService();

        var addresses = new[]
        {
            await custody.GetOrCreateServiceKeyAsync("operator", null),
            await custody.GetOrCreateServiceKeyAsync("claim-signer", null),
            await custody.GetOrCreateServiceKeyAsync("claim-signer", 1),
            await custody.GetOrCreateServiceKeyAsync("claim-signer", 2),
            (await custody.CreateWalletAsync(1)).Address,
        };

        Assert.Equal(addresses.Length, addresses.Distinct().Count());
    }

    [Fact]
    public async Task ImportServiceKey_ThenSign_RecoversTheImportedAddress()
    {
        var custody = env.NewCustodyService();

        var address = await custody.ImportServiceKeyAsync("operator", null, HardhatKey0);
        var signature = await custody.WithServiceKeyAsync("operator", null, k => new EthereumMessageSigner().EncodeUTF8AndSign("gas", k));

        Assert.Equal(HardhatAddress0, address);
        Assert.Equal(HardhatAddress0, new EthereumMessageSigner().EncodeUTF8AndEcRecover("gas", signature).ToLowerInvariant());
    }

    [Fact]
    public async Task ImportServiceKey_TheSameKeyAgain_IsANoOp()
    {
        await env.NewCustodyService().ImportServiceKeyAsync("operator", null, HardhatKey0);

        var again = await env.NewCustodyService().ImportServiceKeyAsync("operator", null, HardhatKey0[2..].ToUpperInvariant());

        Assert.Equal(HardhatAddress0, again);
    }

    [Fact]
    public async Task ImportServiceKey_ADifferentKeyForATakenScope_IsRefusedNotReplaced()
    {
        var custody = env.NewCustodyService();
        var existing = await custody.GetOrCreateServiceKeyAsync("operator", null);

        var error = await Assert.ThrowsAsync<CustodyException>(() => custody.ImportServiceKeyAsync("operator", null, HardhatKey0));

        Assert.Equal(CustodyErrorCodes.ServiceKeyConflict, error.Code);
        Assert.Equal(existing, await custody.WithServiceKeyAsync("operator", null, k => k.GetPublicAddress().ToLowerInvariant()));
    }

    [Theory]
    [InlineData("0x1234")]
    [InlineData("zz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")]
    public async Task ImportServiceKey_ThatIsNot32BytesOfHex_IsRefused(string key)
    {
        var error = await Assert.ThrowsAsync<CustodyException>(() => env.NewCustodyService().ImportServiceKeyAsync("operator", null, key));

        Assert.Equal(CustodyErrorCodes.KeyInvalid, error.Code);
    }

    [Fact]
    public async Task WithServiceKey_ThatWasNeverCreated_ThrowsServiceKeyNotFound()
    {
        var error = await Assert.ThrowsAsync<CustodyException>(() => env.NewCustodyService().WithServiceKeyAsync("attestation", 4, k => k));

        Assert.Equal(CustodyErrorCodes.ServiceKeyNotFound, error.Code);
    }

    public void Dispose() => env.Dispose();
}
