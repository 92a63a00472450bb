using Loyalty.Chain.Custody;
using Microsoft.EntityFrameworkCore;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

public sealed class CustodyServiceTests : IDisposable
{
    private readonly CustodyTestEnvironment env = new();

    [Fact]
    public async Task CreateWallet_TwiceForOneProgram_DerivesDistinctSequentialAddresses()
    {
        var custody = env.NewCustodyService();

        var first = await custody.CreateWalletAsync(7);
        var second = await custody.CreateWalletAsync(7);

        Assert.Equal(0, first.Index);
        Assert.Equal(1, second.Index);
        Assert.NotEqual(first.Address, second.Address);
        Assert.Matches("^0x[0-9a-f]{40}$", first.Address);
        await using var db = env.NewContext();
        Assert.Equal(2, await db.Set<CustodySeed>().Where(s => s.ProgramId == 7).Select(s => s.NextIndex).SingleAsync());
        Assert.Equal(2, await db.Set<CustodialWallet>().CountAsync(w => w.ProgramId == 7));
    }

    [Fact]
    public async Task CreateWallet_ForTwoPrograms_DerivesFromSeparateSeeds()
    {
        var custody = env.NewCustodyService();

        var program1 = await custody.CreateWalletAsync(1);
        var program2 = await custody.CreateWalletAsync(2);

        Assert.Equal(0, program1.Index);
        Assert.Equal(0, program2.Index);
        Assert.NotEqual(program1.Address, program2.Address);
    }

    [Fact]
    public async Task WithMemberKey_SignsAMessageThatRecoversToTheWalletAddress()
    {
        var custody = env.NewCustodyService();
        var wallet = await custody.CreateWalletAsync(1);
        await custody.CreateWalletAsync(1);

        var signature = await custody.WithMemberKeyAsync(1, wallet.Index, key => new EthereumMessageSigner().EncodeUTF8AndSign("hello", key));

        var signer = new EthereumMessageSigner().EncodeUTF8AndEcRecover("hello", signature);
        Assert.Equal(wallet.Address, signer.ToLowerInvariant());
    }

    [Fact]
    public async Task CreateWallet_ConcurrentlyFromTwoContextsOnOneDatabase_AllocatesDistinctIndexes()
    {
        // Two services on two contexts stand for two service instances sharing the database.
        var a = env.NewCustodyService();
        var b = env.NewCustodyService();

        var wallets = await Task.WhenAll(
            Task.Run(async () => { var w = new List<CustodialWallet>(); for (var i = 0; i < 5; i++) w.Add(await a.CreateWalletAsync(3)); return w; }),
            Task.Run(async () => { var w = new List<CustodialWallet>(); for (var i = 0; i < 5; i++) w.Add(await b.CreateWalletAsync(3)); return w; }));

        var all = wallets.SelectMany(w => w).ToList();
        Assert.Equal(Enumerable.Range(0, 10), all.Select(w => w.Index).Order());
        Assert.Equal(10, all.Select(w => w.Address).Distinct().Count());
        await using var db = env.NewContext();
        Assert.Equal(1, await db.Set<CustodySeed>().CountAsync(s => s.ProgramId == 3));
        Assert.Equal(10, await db.Set<CustodySeed>().Where(s => s.ProgramId == 3).Select(s => s.NextIndex).SingleAsync());
    }

    [Fact]
    public async Task WithMemberKey_ForAnIndexNeverAllocated_ThrowsWalletNotFound()
    {
        var custody = env.NewCustodyService();
        await custody.CreateWalletAsync(1);

        var error = await Assert.ThrowsAsync<CustodyException>(() => custody.WithMemberKeyAsync(1, 5, k => k));

        Assert.Equal(CustodyErrorCodes.WalletNotFound, error.Code);
    }

    [Fact]
    public async Task WithMemberKey_UnderAnotherKek_FailsWithKekMismatch()
    {
        await env.NewCustodyService().CreateWalletAsync(1);
        using var otherKek = CustodyTestEnvironment.NewKek();

        var error = await Assert.ThrowsAsync<CustodyException>(
            () => env.NewCustodyService(kek: otherKek).WithMemberKeyAsync(1, 0, k => k));

        Assert.Equal(CustodyErrorCodes.KeyMismatch, error.Code);
    }

    [Fact]
    public async Task WithMemberKey_AfterAnotherProgramsSeedWasCopiedOntoTheRow_RefusesToDecrypt()
    {
        var custody = env.NewCustodyService();
        await custody.CreateWalletAsync(1);
        await custody.CreateWalletAsync(2);
        await using (var db = env.NewContext())
        {
            var seeds = await db.Set<CustodySeed>().ToDictionaryAsync(s => s.ProgramId);
            seeds[1].Secret = seeds[2].Secret with { };
            await db.SaveChangesAsync();
        }

        var error = await Assert.ThrowsAsync<CustodyException>(() => env.NewCustodyService().WithMemberKeyAsync(1, 0, k => k));

        Assert.Equal(CustodyErrorCodes.DecryptionFailed, error.Code);
    }

    public void Dispose() => env.Dispose();
}
