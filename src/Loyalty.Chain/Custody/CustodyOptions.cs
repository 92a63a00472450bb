namespace Loyalty.Chain.Custody;

/// <summary>Settings of the "Custody" configuration section.</summary>
public sealed class CustodyOptions
{
    public const string SectionName = "Custody";

    /// <summary>
    /// Base64 of a 32-byte key-encryption key. When set it wins over <see cref="KeyFile"/>; meant for hosts
    /// that inject secrets through the environment rather than a file.
    /// </summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>Key file holding the base64 key-encryption key; defaults to <c>{DataDirectory}/custody.kek</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// During a KEK rotation: base64 of the new 32-byte key. While it (or <see cref="NewKeyFile"/>) is set, new secrets
    /// are wrapped under the new key, secrets under the current key (<see cref="KeyEncryptionKey"/> / <see cref="KeyFile"/>,
    /// then the "previous" key) still decrypt, and <c>POST /v1/admin/custody/rewrap</c> moves rows to the new key.
    /// </summary>
    public string? NewKeyEncryptionKey { get; set; }

    /// <summary>During a KEK rotation: a key file holding the new key (created 0600 on first use, like <see cref="KeyFile"/>).</summary>
    public string? NewKeyFile { get; set; }

    public bool RotationConfigured => !string.IsNullOrWhiteSpace(NewKeyEncryptionKey) || !string.IsNullOrWhiteSpace(NewKeyFile);

    /// <summary>
    /// Folder of the default key file. Unset, it is the database's data folder ("Database:DataDirectory", else
    /// "data"), so a self-hosted install keeps one folder; production should rather point the key elsewhere
    /// than the database backups, or supply <see cref="KeyEncryptionKey"/>.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Scrypt cost of exported keystores. The default is geth's "standard" cost (about 256 MiB, 1 s) because an
    /// export leaves our protection for good; tests lower it.
    /// </summary>
    public int KeystoreScryptN { get; set; } = 262_144;

    /// <summary>How long a Sign-In-With-Ethereum nonce stays usable after it is issued.</summary>
    public TimeSpan SiweNonceLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public string ResolveKeyFile() => string.IsNullOrWhiteSpace(KeyFile)
        ? Path.Combine(Path.GetFullPath(string.IsNullOrWhiteSpace(DataDirectory) ? "data" : DataDirectory), "custody.kek")
        : KeyFile;
}
