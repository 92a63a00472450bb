using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Nethereum.KeyStore;
using Nethereum.KeyStore.Model;
using Nethereum.Signer;

namespace Loyalty.Chain.Custody;

/// <summary>
/// Sunset exports: members must never be trapped if the brand stops, so an admin can hand out keys as
/// standard Web3 Secret Storage files that MetaMask, geth or ethers open without our software.
/// </summary>
public sealed partial class CustodyService
{
    public const int MinExportPasswordLength = 12;
    public const string SeedExportFormat = "loyalty-chain/program-seed/v1";

    /// <summary>The member's private key as a Web3 Secret Storage (v3, scrypt) keystore JSON.</summary>
    public async Task<string> ExportMemberKeystoreAsync(long programId, int index, string password, CancellationToken ct = default)
    {
        RequireExportPassword(password);
        var (json, address) = await WithMemberKeyAsync(programId, index, key => (ToKeystore(key, password), key.GetPublicAddress()), ct);
        logger.LogWarning("Exported the key of custodial wallet {Address} (program {ProgramId}, index {Index}) as a keystore",
            address.ToLowerInvariant(), programId, index);
        return json;
    }

    /// <summary>The service key for (purpose, program) as a keystore, e.g. to move the operator's remaining funds.</summary>
    public async Task<string> ExportServiceKeystoreAsync(string purpose, long? programId, string password, CancellationToken ct = default)
    {
        RequireExportPassword(password);
        var (json, address) = await WithServiceKeyAsync(purpose, programId, key => (ToKeystore(key, password), key.GetPublicAddress()), ct);
        logger.LogWarning("Exported service key {Scope} with address {Address} as a keystore",
            ServiceKey.ScopeFor(purpose, programId), address.ToLowerInvariant());
        return json;
    }

    /// <summary>
    /// The program seed as JSON: a Web3 Secret Storage keystore whose decrypted payload is the 32-byte BIP-39
    /// entropy (not a private key), plus what is needed to rebuild every member wallet from it: encode the
    /// entropy as a 24-word English mnemonic with an empty passphrase; member i is at m/44'/60'/0'/0/i.
    /// </summary>
    /// <remarks>The keystore's address is left empty: the payload is no private key, and tools that check
    /// the address against the decrypted key (ethers does) would otherwise refuse the file.</remarks>
    public async Task<string> ExportProgramSeedAsync(long programId, string password, CancellationToken ct = default)
    {
        RequireExportPassword(password);
        var seed = await LoadSeedAsync(programId, ct);
        var keystore = await WithSeedAsync(seed,
            entropy => new KeyStoreScryptService().EncryptAndGenerateKeyStoreAsJson(password, entropy, "", ScryptParameters()), ct);
        var export = new JsonObject
        {
            ["format"] = SeedExportFormat,
            ["programId"] = programId,
            ["payload"] = "bip39-entropy",
            ["wordlist"] = "english",
            ["wordCount"] = HdWallet.WordCount,
            ["passphrase"] = "",
            ["derivationPath"] = HdWallet.DerivationPath,
            ["walletCount"] = seed.NextIndex,
            ["recovery"] = "Decrypt 'keystore' (Web3 Secret Storage v3) with the export password to get the BIP-39 entropy; " +
                           "encode it as a 24-word English mnemonic (empty passphrase) and import that into any BIP-44 wallet: " +
                           "member wallet i is at m/44'/60'/0'/0/i.",
            ["keystore"] = JsonNode.Parse(keystore),
        };
        logger.LogWarning("Exported the custody seed of program {ProgramId} ({WalletCount} wallets) under key {KeyId}",
            programId, seed.NextIndex, kek.KeyId);
        return export.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private string ToKeystore(EthECKey key, string password)
    {
        var secret = HdWallet.PrivateKeyBytes(key);
        try
        {
            // Lower-case hex without 0x is what geth writes and every reader accepts.
            var address = key.GetPublicAddress()[2..].ToLowerInvariant();
            return new KeyStoreScryptService().EncryptAndGenerateKeyStoreAsJson(password, secret, address, ScryptParameters());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private ScryptParams ScryptParameters() => new() { N = options.Value.KeystoreScryptN, R = 8, P = 1, Dklen = 32 };

    private static void RequireExportPassword(string password)
    {
        // The export leaves our encryption behind: the password alone then guards the key, offline, for good.
        if (string.IsNullOrEmpty(password) || password.Length < MinExportPasswordLength)
            throw new ArgumentException($"An export password has at least {MinExportPasswordLength} characters.", nameof(password));
    }
}
