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

    /// <summary>
    /// During a rotation, the key being retired: it only unwraps secrets not yet rewrapped, and never wraps. Null otherwise.
    /// </summary>
    IKeyEncryptionKey? Previous => null;

    byte[] Wrap(ReadOnlySpan<byte> dataKey);

    /// <summary>Returns the data key; the caller zeroes it after use.</summary>
    byte[] Unwrap(ReadOnlySpan<byte> wrapped);

    ValueTask<byte[]> WrapAsync(ReadOnlyMemory<byte> dataKey, CancellationToken ct = default)
        => ValueTask.FromResult(Wrap(dataKey.Span));

    ValueTask<byte[]> UnwrapAsync(ReadOnlyMemory<byte> wrapped, CancellationToken ct = default)
        => ValueTask.FromResult(Unwrap(wrapped.Span));
}

/// <summary>
/// A KEK in rotation: wraps with <paramref name="current"/> (the new key), and keeps <paramref name="previous"/> to unwrap
/// what is still under the old one until every row is rewrapped.
/// </summary>
public sealed class RotatingKeyEncryptionKey(IKeyEncryptionKey current, IKeyEncryptionKey previous) : IKeyEncryptionKey, IDisposable
{
    public string KeyId => current.KeyId;
    public IKeyEncryptionKey Previous => previous;
    public byte[] Wrap(ReadOnlySpan<byte> dataKey) => current.Wrap(dataKey);
    public byte[] Unwrap(ReadOnlySpan<byte> wrapped) => current.Unwrap(wrapped);
    public ValueTask<byte[]> WrapAsync(ReadOnlyMemory<byte> dataKey, CancellationToken ct = default) => current.WrapAsync(dataKey, ct);
    public ValueTask<byte[]> UnwrapAsync(ReadOnlyMemory<byte> wrapped, CancellationToken ct = default) => current.UnwrapAsync(wrapped, ct);

    public void Dispose()
    {
        (current as IDisposable)?.Dispose();
        (previous as IDisposable)?.Dispose();
    }
}
