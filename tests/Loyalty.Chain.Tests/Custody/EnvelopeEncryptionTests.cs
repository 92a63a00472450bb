using System.Security.Cryptography;
using Loyalty.Chain.Custody;

namespace Loyalty.Chain.Tests.Custody;

public sealed class EnvelopeEncryptionTests : IDisposable
{
    private readonly LocalKeyEncryptionKey kek = CustodyTestEnvironment.NewKek();
    private readonly byte[] secret = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task Encrypt_ThenDecryptUnderTheSamePurpose_ReturnsThePlaintext()
    {
        var envelope = new EnvelopeEncryption(kek);

        var sealedSecret = await envelope.EncryptAsync(secret, "seed:program:1");
        var opened = await envelope.DecryptAsync(sealedSecret, "seed:program:1");

        Assert.Equal(secret, opened);
        Assert.Equal(kek.KeyId, sealedSecret.KeyId);
        Assert.Equal(12, sealedSecret.Nonce.Length);
        Assert.Equal(16, sealedSecret.Tag.Length);
        Assert.NotEqual(secret, sealedSecret.Ciphertext);
    }

    [Fact]
    public async Task Encrypt_TheSameSecretTwice_UsesFreshDataKeysAndNonces()
    {
        var envelope = new EnvelopeEncryption(kek);

        var first = await envelope.EncryptAsync(secret, "p");
        var second = await envelope.EncryptAsync(secret, "p");

        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
        Assert.NotEqual(first.WrappedKey, second.WrappedKey);
        Assert.NotEqual(first.Nonce, second.Nonce);
    }

    [Theory]
    [InlineData(nameof(EncryptedSecret.Ciphertext))]
    [InlineData(nameof(EncryptedSecret.Nonce))]
    [InlineData(nameof(EncryptedSecret.Tag))]
    [InlineData(nameof(EncryptedSecret.WrappedKey))]
    public async Task Decrypt_WithOneFlippedByte_FailsAsTampered(string field)
    {
        var envelope = new EnvelopeEncryption(kek);
        var good = await envelope.EncryptAsync(secret, "seed:program:1");
        var bytes = field switch
        {
            nameof(EncryptedSecret.Ciphertext) => good.Ciphertext,
            nameof(EncryptedSecret.Nonce) => good.Nonce,
            nameof(EncryptedSecret.Tag) => good.Tag,
            _ => good.WrappedKey,
        };
        bytes[^1] ^= 0x01;

        var error = await Assert.ThrowsAsync<CustodyException>(() => envelope.DecryptAsync(good, "seed:program:1").AsTask());

        Assert.Equal(CustodyErrorCodes.DecryptionFailed, error.Code);
    }

    [Fact]
    public async Task Decrypt_UnderAnotherRowsPurpose_Fails()
    {
        var envelope = new EnvelopeEncryption(kek);
        var program1 = await envelope.EncryptAsync(secret, "seed:program:1");

        var error = await Assert.ThrowsAsync<CustodyException>(() => envelope.DecryptAsync(program1, "seed:program:2").AsTask());

        Assert.Equal(CustodyErrorCodes.DecryptionFailed, error.Code);
    }

    [Fact]
    public async Task Decrypt_WithAnotherKek_FailsWithKekMismatchNamingBothKeys()
    {
        var sealedSecret = await new EnvelopeEncryption(kek).EncryptAsync(secret, "p");
        using var other = CustodyTestEnvironment.NewKek();

        var error = await Assert.ThrowsAsync<CustodyException>(() => new EnvelopeEncryption(other).DecryptAsync(sealedSecret, "p").AsTask());

        Assert.Equal(CustodyErrorCodes.KeyMismatch, error.Code);
        Assert.Contains(kek.KeyId, error.Message);
        Assert.Contains(other.KeyId, error.Message);
    }

    [Fact]
    public async Task Decrypt_WithAnotherKekClaimingTheSameKeyId_FailsToUnwrap()
    {
        var sealedSecret = await new EnvelopeEncryption(kek).EncryptAsync(secret, "p");
        using var other = CustodyTestEnvironment.NewKek();

        var error = await Assert.ThrowsAsync<CustodyException>(
            () => new EnvelopeEncryption(new ImpostorKek(other, kek.KeyId)).DecryptAsync(sealedSecret, "p").AsTask());

        Assert.Equal(CustodyErrorCodes.DecryptionFailed, error.Code);
    }

    public void Dispose() => kek.Dispose();

    private sealed class ImpostorKek(IKeyEncryptionKey inner, string keyId) : IKeyEncryptionKey
    {
        public string KeyId => keyId;
        public byte[] Wrap(ReadOnlySpan<byte> dataKey) => inner.Wrap(dataKey);
        public byte[] Unwrap(ReadOnlySpan<byte> wrapped) => inner.Unwrap(wrapped);
    }
}
