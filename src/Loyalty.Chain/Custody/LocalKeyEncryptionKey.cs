using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Custody;

/// <summary>
/// A KEK held in process memory, read from configuration or from a 0600 key file that is created on first
/// use. The file is the whole root of trust of a self-hosted install: back it up apart from the database.
/// </summary>
public sealed class LocalKeyEncryptionKey : IKeyEncryptionKey, IDisposable
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // Binds wrapped keys to this scheme so a blob wrapped for some other use of the same key is rejected.
    private static readonly byte[] WrapContext = "loyalty-chain/custody/kek-wrap/v1"u8.ToArray();

    // Pinned so the GC never leaves copies of the key behind when it compacts the heap.
    private readonly byte[] key = GC.AllocateUninitializedArray<byte>(KeySize, pinned: true);

    public LocalKeyEncryptionKey(IOptions<CustodyOptions> options)
        : this(options.Value.KeyEncryptionKey, "Custody:KeyEncryptionKey", options.Value.ResolveKeyFile())
    {
    }

    /// <summary>The key from base64 text when given (<paramref name="source"/> names it in errors), else from the key file.</summary>
    public LocalKeyEncryptionKey(string? base64, string source, string keyFile)
    {
        if (!string.IsNullOrWhiteSpace(base64))
            LoadBase64(Encoding.ASCII.GetBytes(base64.Trim()), source);
        else
            LoadKeyFile(keyFile);
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
    }

    /// <summary>
    /// The configured KEK: the current key, or during a rotation (<see cref="CustodyOptions.RotationConfigured"/>) the new
    /// key with the current one kept as <see cref="IKeyEncryptionKey.Previous"/>.
    /// </summary>
    public static IKeyEncryptionKey FromOptions(IOptions<CustodyOptions> options)
    {
        var o = options.Value;
        var current = new LocalKeyEncryptionKey(options);
        if (!o.RotationConfigured) return current;
        var next = new LocalKeyEncryptionKey(o.NewKeyEncryptionKey, "Custody:NewKeyEncryptionKey",
            string.IsNullOrWhiteSpace(o.NewKeyFile) ? "" : o.NewKeyFile);
        if (next.KeyId != current.KeyId) return new RotatingKeyEncryptionKey(next, current);
        next.Dispose();
        return current;
    }

    public string KeyId { get; }

    public byte[] Wrap(ReadOnlySpan<byte> dataKey)
    {
        var wrapped = new byte[NonceSize + TagSize + dataKey.Length];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceSize + TagSize), wrapped.AsSpan(NonceSize, TagSize), WrapContext);
        return wrapped;
    }

    public byte[] Unwrap(ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length <= NonceSize + TagSize)
            throw new CustodyException(CustodyErrorCodes.DecryptionFailed, "The wrapped data key is truncated.");
        var dataKey = new byte[wrapped.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(wrapped[..NonceSize], wrapped[(NonceSize + TagSize)..], wrapped.Slice(NonceSize, TagSize), dataKey, WrapContext);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CustodyException(CustodyErrorCodes.DecryptionFailed,
                $"The data key does not unwrap under key-encryption key {KeyId}: wrong key or tampered data.", e);
        }
        return dataKey;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(key);

    private void LoadKeyFile(string path)
    {
        if (!File.Exists(path))
            CreateKeyFile(path);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
                throw new CustodyException(CustodyErrorCodes.KeyFileInsecure,
                    $"Key file {path} is accessible by group or others (mode {Convert.ToString((int)mode, 8)}); " +
                    $"restrict it with 'chmod 600 {path}' and check who may have read it.");
        }
        var content = File.ReadAllBytes(path);
        try { LoadBase64(content, path); }
        finally { CryptographicOperations.ZeroMemory(content); }
    }

    private void LoadBase64(ReadOnlySpan<byte> base64, string source)
    {
        var trimmed = base64.Trim(" \r\n\t"u8);
        Span<byte> decoded = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(trimmed.Length)];
        try
        {
            if (Base64.DecodeFromUtf8(trimmed, decoded, out _, out var written) != System.Buffers.OperationStatus.Done
                || written != KeySize)
                throw new CustodyException(CustodyErrorCodes.KeyInvalid,
                    $"The key-encryption key from {source} must be base64 of exactly {KeySize} bytes.");
            decoded[..KeySize].CopyTo(key);
        }
        finally { CryptographicOperations.ZeroMemory(decoded); }
    }

    private static void CreateKeyFile(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Written under a temporary name and moved into place: two instances starting together must agree
        // on one key, and nobody may ever read a half-written file.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var raw = RandomNumberGenerator.GetBytes(KeySize);
        var text = new byte[Base64.GetMaxEncodedToUtf8Length(KeySize)];
        Base64.EncodeToUtf8(raw, text, out _, out var length);
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                create.UnixCreateMode = OwnerOnly;
            using (var stream = new FileStream(temp, create))
            {
                stream.Write(text, 0, length);
                stream.Flush(flushToDisk: true);
            }
            try { File.Move(temp, path, overwrite: false); }
            catch (IOException) when (File.Exists(path)) { /* another instance won the race: use its key */ }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
            CryptographicOperations.ZeroMemory(text);
            File.Delete(temp);
        }
    }
}
