using System.Security.Cryptography;
using NBitcoin;
using Nethereum.Signer;

namespace Loyalty.Chain.Custody;

/// <summary>
/// BIP-39/32/44 derivation of Ethereum keys, on the path MetaMask, Ledger and Hardhat use, so a member who
/// receives the seed (or one key) finds the same addresses in any common wallet.
/// </summary>
public static class HdWallet
{
    public const string DerivationPath = "m/44'/60'/0'/0/{index}";
    public const int EntropySize = 32;
    public const int WordCount = 24;

    private static readonly byte[] MnemonicSalt = "mnemonic"u8.ToArray();

    /// <summary>Fresh entropy for a 24-word seed; the caller zeroes it after use.</summary>
    public static byte[] NewEntropy() => RandomNumberGenerator.GetBytes(EntropySize);

    public static KeyPath PathFor(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new KeyPath($"m/44'/60'/0'/0/{index}");
    }

    public static Mnemonic ToMnemonic(ReadOnlySpan<byte> entropy) => new(Wordlist.English, entropy.ToArray());

    public static EthECKey DeriveKey(ReadOnlySpan<byte> entropy, int index)
    {
        var seed = SeedFromEntropy(entropy);
        try { return DeriveFromSeed(seed, index); }
        finally { CryptographicOperations.ZeroMemory(seed); }
    }

    public static EthECKey DeriveKey(Mnemonic mnemonic, int index)
    {
        var seed = mnemonic.DeriveSeed();
        try { return DeriveFromSeed(seed, index); }
        finally { CryptographicOperations.ZeroMemory(seed); }
    }

    /// <summary>The EIP-55 address of member <paramref name="index"/>.</summary>
    public static string DeriveAddress(ReadOnlySpan<byte> entropy, int index) => DeriveKey(entropy, index).GetPublicAddress();

    /// <summary>
    /// The 32-byte private key. Nethereum drops leading zero bytes (one key in 256), which other wallets
    /// reject in a keystore, so the scalar is left-padded here; the caller zeroes the result.
    /// </summary>
    internal static byte[] PrivateKeyBytes(EthECKey key)
    {
        var raw = key.GetPrivateKeyAsBytes();
        if (raw.Length == 32) return raw;
        var padded = new byte[32];
        raw.CopyTo(padded, 32 - raw.Length);
        CryptographicOperations.ZeroMemory(raw);
        return padded;
    }

    /// <summary>
    /// BIP-39 seed (empty passphrase) computed without NBitcoin's <see cref="Mnemonic"/>: that class keeps the
    /// sentence in immutable strings nobody can wipe, whereas this sentence lives in a buffer zeroed here.
    /// </summary>
    internal static byte[] SeedFromEntropy(ReadOnlySpan<byte> entropy)
    {
        if (entropy.Length is < 16 or > 32 || entropy.Length % 4 != 0)
            throw new ArgumentException("BIP-39 entropy is 16 to 32 bytes, a multiple of 4.", nameof(entropy));
        var entropyBits = entropy.Length * 8;
        var wordCount = (entropyBits + entropyBits / 32) / 11;
        Span<byte> checksum = stackalloc byte[32];
        SHA256.HashData(entropy, checksum);
        var indices = new int[wordCount];
        var sentence = new byte[wordCount * 9];
        try
        {
            var length = 0;
            for (var w = 0; w < wordCount; w++)
            {
                for (var b = 0; b < 11; b++)
                {
                    var bit = w * 11 + b;
                    var source = bit < entropyBits ? entropy[bit / 8] : checksum[(bit - entropyBits) / 8];
                    indices[w] = (indices[w] << 1) | ((source >> (7 - bit % 8)) & 1);
                }
                if (w > 0) sentence[length++] = (byte)' ';
                // English BIP-39 words are lower-case ASCII, so NFKD normalisation is the identity here.
                foreach (var c in Wordlist.English.GetWordAtIndex(indices[w]))
                    sentence[length++] = (byte)c;
            }
            var seed = new byte[64];
            Rfc2898DeriveBytes.Pbkdf2(sentence.AsSpan(0, length), MnemonicSalt, seed, 2048, HashAlgorithmName.SHA512);
            return seed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(checksum);
            Array.Clear(indices);
            CryptographicOperations.ZeroMemory(sentence);
        }
    }

    private static EthECKey DeriveFromSeed(byte[] seed, int index)
    {
        var path = PathFor(index);
        var master = ExtKey.CreateFromSeed(seed);
        var child = master.Derive(path);
        using var masterKey = master.PrivateKey;
        using var childKey = child.PrivateKey;
        var secret = childKey.ToBytes();
        try { return new EthECKey(secret, true); }
        finally { CryptographicOperations.ZeroMemory(secret); }
    }
}
