using System.Text;
using System.Text.Json.Nodes;
using Loyalty.Chain.Custody;
using Microsoft.Extensions.Logging;
using NBitcoin;
using Nethereum.KeyStore;
using Nethereum.Signer;

namespace Loyalty.Chain.Tests.Custody;

/// <summary>The acceptance test: no key, seed or mnemonic in the database file or the logs.</summary>
public sealed class SecretsAtRestTests : IDisposable
{
    private const string Password = "sunset export password";
    private const string ImportedKey = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // Hardhat #1

    private readonly CapturingLoggerProvider logs = new();
    private readonly ILoggerFactory loggerFactory;
    private readonly CustodyTestEnvironment env;

    public SecretsAtRestTests()
    {
        loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        // The DbContext logs every command with its parameter values (sensitive data logging on): the
        // strictest setting a host could pick, so whatever would reach the database would show up here too.
        env = new CustodyTestEnvironment(loggerFactory);
    }

    [Fact]
    public async Task CustodyWork_LeavesNoKeySeedOrMnemonicInTheDatabaseFileOrTheLogs()
    {
        var custody = env.NewCustodyService();
        var wallets = new List<CustodialWallet>();
        for (var i = 0; i < 3; i++) wallets.Add(await custody.CreateWalletAsync(1));
        var operatorAddress = await custody.GetOrCreateServiceKeyAsync("operator", null);
        await custody.ImportServiceKeyAsync("claim-signer", 1, "0x" + ImportedKey);
        var signature = await custody.WithMemberKeyAsync(1, 0, k => new EthereumMessageSigner().EncodeUTF8AndSign("redeem 10", k));
        await custody.WithServiceKeyAsync("operator", null, k => new EthereumMessageSigner().EncodeUTF8AndSign("gas", k));
        await custody.ExportMemberKeystoreAsync(1, 1, Password);

        // The secrets themselves, fetched through the public API the way an admin would.
        var entropy = new KeyStoreService().DecryptKeyStoreFromJson(Password,
            JsonNode.Parse(await custody.ExportProgramSeedAsync(1, Password))!["keystore"]!.ToJsonString());
        var mnemonic = new Mnemonic(Wordlist.English, entropy).ToString();
        var secrets = new List<byte[]> { entropy, Convert.FromHexString(ImportedKey) };
        foreach (var wallet in wallets)
            secrets.Add(await custody.WithMemberKeyAsync(1, wallet.Index, HdWallet.PrivateKeyBytes));
        secrets.Add(await custody.WithServiceKeyAsync("operator", null, HdWallet.PrivateKeyBytes));
        Assert.Equal(operatorAddress, await custody.WithServiceKeyAsync("operator", null, k => k.GetPublicAddress().ToLowerInvariant()));
        env.CloseConnections();

        var stored = ReadDatabaseFiles();
        var logText = logs.Text;
        // Guards against a vacuous pass: the places searched do hold the non-secret data.
        Assert.True(Contains(stored, Encoding.ASCII.GetBytes(wallets[2].Address)), "the wallet address should be in the database");
        Assert.Contains(wallets[2].Address, logText);
        Assert.Contains("INSERT INTO", logText);
        Assert.Equal(wallets[0].Address, new EthereumMessageSigner().EncodeUTF8AndEcRecover("redeem 10", signature).ToLowerInvariant());

        foreach (var needle in Needles(secrets, mnemonic))
        {
            Assert.False(Contains(stored, needle.Bytes), $"{needle.Name} found in the database files");
            Assert.DoesNotContain(needle.Text, logText, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static IEnumerable<(string Name, string Text, byte[] Bytes)> Needles(List<byte[]> secrets, string mnemonic)
    {
        yield return ("mnemonic", mnemonic, Encoding.UTF8.GetBytes(mnemonic));
        var firstWords = string.Join(' ', mnemonic.Split(' ').Take(4));
        yield return ("mnemonic's first words", firstWords, Encoding.UTF8.GetBytes(firstWords));
        for (var i = 0; i < secrets.Count; i++)
        {
            var raw = secrets[i];
            Assert.Equal(32, raw.Length);
            yield return ($"secret {i} (raw)", Convert.ToHexString(raw), raw);
            foreach (var text in new[]
                     {
                         Convert.ToHexStringLower(raw), Convert.ToHexString(raw), "0x" + Convert.ToHexStringLower(raw),
                         Convert.ToHexStringLower(raw).TrimStart('0'), // as Nethereum prints a key with leading zeros
                         Convert.ToBase64String(raw),
                     })
                yield return ($"secret {i} as text", text, Encoding.UTF8.GetBytes(text));
        }
    }

    private byte[] ReadDatabaseFiles()
    {
        using var all = new MemoryStream();
        foreach (var suffix in new[] { "", "-wal", "-journal" })
            if (File.Exists(env.DatabasePath + suffix))
                all.Write(File.ReadAllBytes(env.DatabasePath + suffix));
        Assert.True(all.Length > 0);
        return all.ToArray();
    }

    // Case-insensitive for ASCII so upper- and lower-case hex are both caught whichever way they were stored.
    private static bool Contains(byte[] haystack, byte[] needle) =>
        haystack.AsSpan().IndexOf(needle) >= 0 ||
        Encoding.Latin1.GetString(haystack).Contains(Encoding.Latin1.GetString(needle), StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        env.Dispose();
        loggerFactory.Dispose();
    }
}
