using System.ComponentModel.DataAnnotations.Schema;
using System.Linq.Expressions;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>A secret at rest: AES-256-GCM ciphertext plus its data key wrapped by the KEK <see cref="KeyId"/>.</summary>
/// <remarks>A complex type: stored as columns of the owning row, so no entity type ever sees it alone.</remarks>
[ComplexType]
public sealed record EncryptedSecret
{
    public required byte[] Ciphertext { get; init; }
    public required byte[] Nonce { get; init; }
    public required byte[] Tag { get; init; }
    public required byte[] WrappedKey { get; init; }
    public required string KeyId { get; init; }
}

/// <summary>
/// Envelope encryption: every secret gets its own random data key, and only the data key meets the KEK.
/// Re-keying (a new KEK, a move to a KMS) therefore rewraps 32-byte keys and never touches the secrets.
/// </summary>
/// <remarks>
/// The purpose string is authenticated as associated data. It names the row the secret belongs to, so a
/// ciphertext copied onto another row (say program 2's seed pasted over program 1's) fails to decrypt.
/// </remarks>
public sealed class EnvelopeEncryption(IKeyEncryptionKey kek)
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public async ValueTask<EncryptedSecret> EncryptAsync(ReadOnlyMemory<byte> plaintext, string purpose, CancellationToken ct = default)
    {
        var dataKey = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[TagSize];
            using (var aes = new AesGcm(dataKey, TagSize))
                aes.Encrypt(nonce, plaintext.Span, ciphertext, tag, Encoding.UTF8.GetBytes(purpose));
            var wrapped = await kek.WrapAsync(dataKey, ct);
            return new EncryptedSecret { Ciphertext = ciphertext, Nonce = nonce, Tag = tag, WrappedKey = wrapped, KeyId = kek.KeyId };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Returns the plaintext; the caller zeroes it (<see cref="CryptographicOperations.ZeroMemory"/>) after use.</summary>
    public async ValueTask<byte[]> DecryptAsync(EncryptedSecret secret, string purpose, CancellationToken ct = default)
    {
        var dataKey = await UnwrapAsync(secret, purpose, ct);
        var plaintext = new byte[secret.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(dataKey, TagSize);
            aes.Decrypt(secret.Nonce, secret.Ciphertext, secret.Tag, plaintext, Encoding.UTF8.GetBytes(purpose));
            return plaintext;
        }
        catch (Exception e) when (e is AuthenticationTagMismatchException or ArgumentException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new CustodyException(CustodyErrorCodes.DecryptionFailed,
                $"The secret for '{purpose}' does not decrypt: it was tampered with or belongs to another row.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// The same secret with its data key wrapped under the current KEK (a rotation): the ciphertext, nonce and tag are
    /// untouched, so no plaintext secret is ever formed, only the 32-byte data key, zeroed at once.
    /// </summary>
    public async ValueTask<EncryptedSecret> RewrapAsync(EncryptedSecret secret, string purpose, CancellationToken ct = default)
    {
        if (secret.KeyId == kek.KeyId) return secret;
        var dataKey = await UnwrapAsync(secret, purpose, ct);
        try { return secret with { WrappedKey = await kek.WrapAsync(dataKey, ct), KeyId = kek.KeyId }; }
        finally { CryptographicOperations.ZeroMemory(dataKey); }
    }

    /// <summary>Unwraps with the key the secret names: the current KEK, or during a rotation the previous one.</summary>
    private async ValueTask<byte[]> UnwrapAsync(EncryptedSecret secret, string purpose, CancellationToken ct)
    {
        var key = secret.KeyId == kek.KeyId ? kek
            : kek.Previous is { } previous && secret.KeyId == previous.KeyId ? previous
            : throw new CustodyException(CustodyErrorCodes.KeyMismatch,
                $"The secret for '{purpose}' is wrapped under key-encryption key {secret.KeyId}, but the configured key is {kek.KeyId}" +
                (kek.Previous is { } p ? $" (previous {p.KeyId})." : "."));
        return await key.UnwrapAsync(secret.WrappedKey, ct);
    }
}

internal static class EncryptedSecretMapping
{
    /// <summary>Maps an <see cref="EncryptedSecret"/> as plain columns of the owning row (a complex type, no join).</summary>
    public static void HasEncryptedSecret<T>(this EntityTypeBuilder<T> builder, Expression<Func<T, EncryptedSecret?>> property)
        where T : class
    {
        builder.ComplexProperty(property, secret =>
        {
            secret.Property(s => s.Ciphertext).IsRequired();
            secret.Property(s => s.Nonce).IsRequired().HasMaxLength(12);
            secret.Property(s => s.Tag).IsRequired().HasMaxLength(16);
            secret.Property(s => s.WrappedKey).IsRequired();
            secret.Property(s => s.KeyId).IsRequired().HasMaxLength(64);
        });
    }
}
