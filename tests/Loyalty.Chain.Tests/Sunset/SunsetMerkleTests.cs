using System.Numerics;
using Loyalty.Chain.Sunset;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;

namespace Loyalty.Chain.Tests.Sunset;

public sealed class SunsetMerkleTests
{
    private static string Address(int i) => "0x" + i.ToString("x40");

    [Fact]
    public void Leaf_IsTheDoubleKeccakOfTheAbiEncodedPair()
    {
        var encoded = new byte[64];
        encoded[31] = 0x01; // address 0x…01, left-padded
        encoded[63] = 0x2a; // uint256 42
        var expected = Sha3Keccack.Current.CalculateHash(Sha3Keccack.Current.CalculateHash(encoded));
        Assert.Equal(expected.ToHex(), SunsetMerkle.LeafOf(Address(1), 42).ToHex());
        // (uint256 1, address 0x…2a) encodes to the same 64 bytes.
        Assert.Equal(expected.ToHex(), SunsetMerkle.LeafOf(new BigInteger(1), Address(42)).ToHex());
    }

    [Fact]
    public void SingleLeaf_IsItsOwnRoot_WithAnEmptyProof()
    {
        var leaf = SunsetMerkle.LeafOf(Address(7), 100);
        var tree = new SunsetMerkle.Tree([leaf]);
        Assert.Equal(leaf.ToHex(true), tree.Root);
        Assert.Empty(tree.ProofOf(leaf)!);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void EveryLeafsProof_VerifiesAgainstTheRoot_AndTheRootDoesNotDependOnInputOrder(int count)
    {
        var leaves = Enumerable.Range(1, count).Select(i => SunsetMerkle.LeafOf(Address(i), new BigInteger(i * 1000))).ToList();
        var tree = new SunsetMerkle.Tree(leaves);
        foreach (var leaf in leaves) Assert.True(SunsetMerkle.Verify(tree.Root, leaf, tree.ProofOf(leaf)!));
        Assert.Equal(tree.Root, new SunsetMerkle.Tree(Enumerable.Reverse(leaves).ToList()).Root);
        var stranger = SunsetMerkle.LeafOf(Address(1), 999);
        Assert.Null(tree.ProofOf(stranger));
        Assert.False(SunsetMerkle.Verify(tree.Root, stranger, tree.ProofOf(leaves[0])!));
    }
}
