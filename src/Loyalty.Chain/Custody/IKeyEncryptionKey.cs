namespace Loyalty.Chain.Custody;

/// <summary>
/// The key-encryption key (KEK) of envelope encryption: it only ever wraps and unwraps per-secret data keys,
/// so it can live outside the process (a cloud KMS, an HSM) without every secret travelling there.
/// </summary>
/// <remarks>
/// The service calls only the async pair. A remote implementation overrides those and may throw
/// <see cref="NotSupportedException"/> from the synchronous pair.
/// </remarks>
public interface IKeyEncryptionKey
{
    /// <summary>Identifies the key without revealing it, so a secret wrapped under another key fails clearly.</summary>
    string KeyId { get; }

    byte[] Wrap(ReadOnlySpan<byte> dataKey);

    /// <summary>Returns the data key; the caller zeroes it after use.</summary>
    byte[] Unwrap(ReadOnlySpan<byte> wrapped);

    ValueTask<byte[]> WrapAsync(ReadOnlyMemory<byte> dataKey, CancellationToken ct = default)
        => ValueTask.FromResult(Wrap(dataKey.Span));

    ValueTask<byte[]> UnwrapAsync(ReadOnlyMemory<byte> wrapped, CancellationToken ct = default)
        => ValueTask.FromResult(Unwrap(wrapped.Span));
}
