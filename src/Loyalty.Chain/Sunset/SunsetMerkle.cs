using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;

namespace Loyalty.Chain.Sunset;

/// <summary>
/// OpenZeppelin's StandardMerkleTree (@openzeppelin/merkle-tree), written out so that any verifier can rebuild it:
/// leaf = keccak256(bytes.concat(keccak256(abi.encode(values)))), leaves sorted by hash, a complete binary tree in
/// an array (leaf i at index length-1-i, node i = hashPair(node 2i+1, node 2i+2)), hashPair = keccak256 of the two
/// hashes in ascending order. Pure: no node, no database.
/// </summary>
public static class SunsetMerkle
{
    /// <summary>abi.encode(address, uint256): each value left-padded to 32 bytes.</summary>
    public static byte[] LeafOf(string address, BigInteger amount) => Leaf(Word(address.HexToByteArray()), Word(amount));

    /// <summary>abi.encode(uint256 tokenId, address owner).</summary>
    public static byte[] LeafOf(BigInteger tokenId, string owner) => Leaf(Word(tokenId), Word(owner.HexToByteArray()));

    private static byte[] Leaf(params byte[][] words)
    {
        var inner = Sha3Keccack.Current.CalculateHash(words.SelectMany(w => w).ToArray());
        return Sha3Keccack.Current.CalculateHash(inner);
    }

    public sealed class Tree
    {
        private readonly byte[][] nodes;
        private readonly Dictionary<string, int> indexOfLeaf = new(StringComparer.Ordinal);

        /// <param name="leaves">Leaf hashes (from <see cref="LeafOf(string, BigInteger)"/>); at least one.</param>
        public Tree(IReadOnlyList<byte[]> leaves)
        {
            if (leaves.Count == 0) throw new ArgumentException("a Merkle tree needs at least one leaf", nameof(leaves));
            var sorted = leaves.OrderBy(l => l, ByteOrder.Instance).ToList();
            nodes = new byte[2 * sorted.Count - 1][];
            for (var i = 0; i < sorted.Count; i++)
            {
                nodes[nodes.Length - 1 - i] = sorted[i];
                indexOfLeaf.TryAdd(sorted[i].ToHex(true), nodes.Length - 1 - i);
            }
            for (var i = nodes.Length - 1 - sorted.Count; i >= 0; i--) nodes[i] = HashPair(nodes[2 * i + 1], nodes[2 * i + 2]);
        }

        public string Root => nodes[0].ToHex(true);

        /// <summary>The sibling hashes from the leaf up to the root, or null when the leaf is not in the tree.</summary>
        public IReadOnlyList<string>? ProofOf(byte[] leaf)
        {
            if (!indexOfLeaf.TryGetValue(leaf.ToHex(true), out var i)) return null;
            var proof = new List<string>();
            while (i > 0)
            {
                proof.Add(nodes[i % 2 == 1 ? i + 1 : i - 1].ToHex(true));
                i = (i - 1) / 2;
            }
            return proof;
        }
    }

    public static bool Verify(string root, byte[] leaf, IEnumerable<string> proof)
    {
        var hash = leaf;
        foreach (var sibling in proof) hash = HashPair(hash, sibling.HexToByteArray());
        return string.Equals(hash.ToHex(true), root, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] HashPair(byte[] a, byte[] b) =>
        Sha3Keccack.Current.CalculateHash(ByteOrder.Instance.Compare(a, b) <= 0 ? [.. a, .. b] : [.. b, .. a]);

    private static byte[] Word(byte[] bytes)
    {
        if (bytes.Length > 32) throw new ArgumentException("more than 32 bytes");
        var word = new byte[32];
        bytes.CopyTo(word, 32 - bytes.Length);
        return word;
    }

    private static byte[] Word(BigInteger value)
    {
        if (value.Sign < 0) throw new ArgumentOutOfRangeException(nameof(value), "uint256 cannot be negative");
        return Word(value.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
