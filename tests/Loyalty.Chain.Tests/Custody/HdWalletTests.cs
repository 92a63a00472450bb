using System.Security.Cryptography;
using Loyalty.Chain.Custody;
using NBitcoin;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

public sealed class HdWalletTests
{
    private const string HardhatMnemonic = "test test test test test test test test test test test junk";

    [Theory]
    [InlineData(0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    [InlineData(1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")]
    public void HardhatTestMnemonic_DerivesTheAddressesMetaMaskAndHardhatShow(int index, string expected)
    {
        var key = HdWallet.DeriveKey(new Mnemonic(HardhatMnemonic, Wordlist.English), index);

        Assert.Equal(expected, key.GetPublicAddress());
    }

    [Fact]
    public void DeriveKey_FromEntropy_MatchesNBitcoinsOwnMnemonicDerivation()
    {
        var entropy = RandomNumberGenerator.GetBytes(HdWallet.EntropySize);
        var mnemonic = new Mnemonic(Wordlist.English, entropy);

        Assert.Equal(HdWallet.WordCount, mnemonic.Words.Length);
        for (var index = 0; index < 3; index++)
        {
            var expected = mnemonic.DeriveExtKey().Derive(new KeyPath($"m/44'/60'/0'/0/{index}")).PrivateKey.ToBytes();
            Assert.Equal(new EthECKey(expected, true).GetPublicAddress(), HdWallet.DeriveAddress(entropy, index));
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(20)]
    [InlineData(24)]
    public void SeedFromEntropy_OfShorterSeeds_MatchesNBitcoin(int size)
    {
        var entropy = RandomNumberGenerator.GetBytes(size);

        Assert.Equal(new Mnemonic(Wordlist.English, entropy).DeriveSeed(), HdWallet.SeedFromEntropy(entropy));
    }

    [Fact]
    public void DeriveKey_WithANegativeIndex_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HdWallet.DeriveKey(new byte[32], -1));
    }
}
