using System.Security.Cryptography;
using System.Text;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Loyalty.Chain.Tests.Custody;

/// <summary>
/// KEK rotation on a real SQLite file: a run interrupted after some batches (a batch limit, then a cancellation) and
/// resumed by a fresh instance ends with every row under the new key, every member key deriving the same address,
/// the old key no longer needed, and no plaintext key or KEK in the database.
/// </summary>
public sealed class KekRotationTests : IDisposable
{
    private readonly CustodyTestEnvironment env = new();
    private readonly string newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private IKeyEncryptionKey Rotating() => LocalKeyEncryptionKey.FromOptions(MsOptions.Create(new CustodyOptions
    {
        DataDirectory = env.Folder, NewKeyEncryptionKey = newKey,
    }));

    private KekRotation NewRotation(IKeyEncryptionKey kek, ILogger<KekRotation>? logger = null) =>
        new(env.NewContext(), kek, logger ?? NullLogger<KekRotation>.Instance);

    /// <summary>Cancels its source when the first batch is logged: an interruption between two batches.</summary>
    private sealed class CancelAfterFirstBatch(CancellationTokenSource cts) : ILogger<KekRotation>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            cts.Cancel();
    }

    [Fact]
    public async Task ARotationInterruptedAndResumed_RewrapsEveryRow_AndEveryKeyStillDerivesTheSameAddress()
    {
        // Three programs with five wallets each, two service keys and a webhook signing secret, all under the old key.
        var custody = env.NewCustodyService();
        var addresses = new Dictionary<(long Program, int Index), string>();
        for (var program = 1; program <= 3; program++)
            for (var i = 0; i < 5; i++)
            {
                var wallet = await custody.CreateWalletAsync(program);
                addresses[(program, wallet.Index)] = wallet.Address;
            }
        var operatorAddress = await custody.GetOrCreateServiceKeyAsync("operator", null);
        var signerAddress = await custody.GetOrCreateServiceKeyAsync("claim-signer", 2);
        var (endpoint, webhookSecret) = await AddWebhookSecretAsync(env.Kek);
        var secrets = new List<byte[]>();
        foreach (var ((program, index), _) in addresses)
            secrets.Add(await custody.WithMemberKeyAsync(program, index, HdWallet.PrivateKeyBytes));
        secrets.Add(await custody.WithServiceKeyAsync("operator", null, HdWallet.PrivateKeyBytes));
        const int rows = 3 + 2 + 1;

        // The new key is configured: the old one is kept as the previous key.
        var rotating = Rotating();
        Assert.Equal(env.Kek.KeyId, rotating.Previous?.KeyId);
        Assert.NotEqual(env.Kek.KeyId, rotating.KeyId);
        var before = await NewRotation(rotating).StatusAsync();
        Assert.Equal(rows, before.Remaining);
        Assert.False(before.Complete);

        // First run stops at its batch limit: two batches (the three seeds, as 2 + 1; a batch never spans tables), committed.
        var first = await NewRotation(rotating).RewrapAsync(batchSize: 2, maxBatches: 2);
        Assert.Equal((3, 2), (first.Rewrapped, first.Batches));
        Assert.Equal(rows - 3, first.Status.Remaining);
        Assert.False(first.Status.Complete);

        // Mid-rotation the service reads rows under either key, and writes new ones under the new key.
        await AssertEveryKeyAsync(rotating, addresses, operatorAddress, signerAddress, endpoint, webhookSecret);
        var fresh = await env.NewCustodyService(kek: rotating).CreateWalletAsync(4);
        addresses[(4, fresh.Index)] = fresh.Address;
        using (var db = env.NewContext())
            Assert.Equal(rotating.KeyId, (await db.Set<CustodySeed>().SingleAsync(s => s.ProgramId == 4)).Secret.KeyId);

        // Second run is cancelled after its first batch: that batch stays, nothing else moves.
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            NewRotation(rotating, new CancelAfterFirstBatch(cts)).RewrapAsync(batchSize: 1, maxBatches: null, cts.Token));
        var interrupted = await NewRotation(rotating).StatusAsync();
        Assert.Equal(rows - 4, interrupted.Remaining);

        // A restarted instance (new key objects, new context) finishes the job; running again is a no-op.
        var resumedKek = Rotating();
        var done = await NewRotation(resumedKek).RewrapAsync(batchSize: 100, maxBatches: null);
        Assert.Equal(rows - 4, done.Rewrapped);
        Assert.True(done.Status.Complete);
        Assert.Equal(0, (await NewRotation(resumedKek).RewrapAsync(batchSize: 100, maxBatches: null)).Rewrapped);
        Assert.All(done.Status.Rows, r => Assert.Equal(resumedKek.KeyId, r.KeyId));

        // The old key removed from configuration: the new key alone opens everything, the old key alone nothing.
        IKeyEncryptionKey newOnly = new LocalKeyEncryptionKey(MsOptions.Create(new CustodyOptions { KeyEncryptionKey = newKey }));
        Assert.Null(newOnly.Previous);
        await AssertEveryKeyAsync(newOnly, addresses, operatorAddress, signerAddress, endpoint, webhookSecret);
        var refused = await Assert.ThrowsAsync<CustodyException>(() => env.NewCustodyService().WithMemberKeyAsync(1, 0, k => k.GetPublicAddress()));
        Assert.Equal(CustodyErrorCodes.KeyMismatch, refused.Code);

        // No plaintext key, and neither KEK, in the database files.
        env.CloseConnections();
        var stored = ReadDatabaseFiles();
        Assert.True(Contains(stored, Encoding.ASCII.GetBytes(resumedKek.KeyId)), "the key id should be in the database");
        var needles = secrets.Append(Convert.FromBase64String(newKey)).Append(Convert.FromBase64String(File.ReadAllText(env.Settings.ResolveKeyFile()).Trim()));
        foreach (var secret in needles)
            foreach (var text in new[] { Convert.ToHexStringLower(secret), Convert.ToBase64String(secret) })
            {
                Assert.False(Contains(stored, secret), "a raw secret is in the database");
                Assert.False(Contains(stored, Encoding.ASCII.GetBytes(text)), "a secret as text is in the database");
            }
        Assert.False(Contains(stored, Encoding.ASCII.GetBytes(webhookSecret)));
        ((IDisposable)rotating).Dispose();
    }

    [Fact]
    public async Task Rewrap_WithoutANewKeyConfigured_IsRefusedWithACode()
    {
        var e = await Assert.ThrowsAsync<LoyaltyException>(() => NewRotation(env.Kek).RewrapAsync(100, null));
        Assert.Equal(KekRotation.NoRotationCode, e.Code);
        Assert.Equal(409, e.Status);
        Assert.Equal("INVALID_BATCH_SIZE", (await Assert.ThrowsAsync<LoyaltyException>(() => NewRotation(Rotating()).RewrapAsync(0, null))).Code);
    }

    [Fact]
    public void TheSameKeyConfiguredAsNew_IsNoRotation()
    {
        var current = File.ReadAllText(env.Settings.ResolveKeyFile()).Trim();
        var kek = LocalKeyEncryptionKey.FromOptions(MsOptions.Create(new CustodyOptions { DataDirectory = env.Folder, NewKeyEncryptionKey = current }));
        Assert.Null(kek.Previous);
        Assert.Equal(env.Kek.KeyId, kek.KeyId);
    }

    private async Task<(WebhookEndpoint Endpoint, string Secret)> AddWebhookSecretAsync(IKeyEncryptionKey kek)
    {
        using var db = env.NewContext();
        var endpoint = new WebhookEndpoint { ProgramId = 1, Url = "https://example.com/hook", CreatedAt = DateTime.UtcNow };
        db.Add(endpoint);
        await db.SaveChangesAsync();
        const string secret = "whsec_rotationtestsecretrotationtestsecret00";
        db.Add(new WebhookSecret
        {
            EndpointId = endpoint.Id, Generation = 0, CreatedAt = DateTime.UtcNow,
            Secret = await new EnvelopeEncryption(kek).EncryptAsync(Encoding.UTF8.GetBytes(secret), WebhookSecret.Purpose(1, endpoint.Id, 0)),
        });
        await db.SaveChangesAsync();
        return (endpoint, secret);
    }

    private async Task AssertEveryKeyAsync(IKeyEncryptionKey kek, Dictionary<(long Program, int Index), string> addresses,
        string operatorAddress, string signerAddress, WebhookEndpoint endpoint, string webhookSecret)
    {
        var custody = env.NewCustodyService(kek: kek);
        foreach (var ((program, index), address) in addresses)
            Assert.Equal(address, await custody.WithMemberKeyAsync(program, index, k => k.GetPublicAddress().ToLowerInvariant()));
        Assert.Equal(operatorAddress, await custody.WithServiceKeyAsync("operator", null, k => k.GetPublicAddress().ToLowerInvariant()));
        Assert.Equal(signerAddress, await custody.WithServiceKeyAsync("claim-signer", 2, k => k.GetPublicAddress().ToLowerInvariant()));
        Assert.Equal([webhookSecret], await WebhookService.SigningSecretsAsync(env.NewContext(), new EnvelopeEncryption(kek), endpoint, DateTime.UtcNow, default));
    }

    private byte[] ReadDatabaseFiles()
    {
        using var all = new MemoryStream();
        foreach (var suffix in new[] { "", "-wal", "-journal" })
            if (File.Exists(env.DatabasePath + suffix))
                all.Write(File.ReadAllBytes(env.DatabasePath + suffix));
        return all.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) =>
        haystack.AsSpan().IndexOf(needle) >= 0 ||
        Encoding.Latin1.GetString(haystack).Contains(Encoding.Latin1.GetString(needle), StringComparison.OrdinalIgnoreCase);

    public void Dispose() => env.Dispose();
}
