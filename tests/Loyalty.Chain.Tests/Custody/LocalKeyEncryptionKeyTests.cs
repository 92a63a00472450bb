using System.Runtime.Versioning;
using System.Security.Cryptography;
using Loyalty.Chain.Custody;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Loyalty.Chain.Tests.Custody;

// Key file modes are a Unix concept; the service skips the check on Windows.
[UnsupportedOSPlatform("windows")]
public sealed class LocalKeyEncryptionKeyTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("custody-kek-").FullName;

    [Fact]
    public async Task KeyFile_MissingAtFirstUse_IsCreatedOwnerOnlyAndReusedAtNextStart()
    {
        var settings = new CustodyOptions { DataDirectory = Path.Combine(folder, "data") };
        var path = Path.Combine(folder, "data", "custody.kek");

        using var first = new LocalKeyEncryptionKey(MsOptions.Create(settings));
        var sealedSecret = await new EnvelopeEncryption(first).EncryptAsync(new byte[] { 1, 2, 3 }, "p");
        using var second = new LocalKeyEncryptionKey(MsOptions.Create(settings));

        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first.KeyId, second.KeyId);
        Assert.Equal(new byte[] { 1, 2, 3 }, await new EnvelopeEncryption(second).DecryptAsync(sealedSecret, "p"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void KeyFile_AccessibleByGroupOrOthers_IsRefusedWithAClearError(UnixFileMode extra)
    {
        var path = Path.Combine(folder, "custody.kek");
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var error = Assert.Throws<CustodyException>(() => new LocalKeyEncryptionKey(MsOptions.Create(new CustodyOptions { KeyFile = path })));

        Assert.Equal(CustodyErrorCodes.KeyFileInsecure, error.Code);
        Assert.Contains("chmod 600", error.Message);
    }

    [Fact]
    public void ConfiguredKey_WinsOverTheKeyFile_AndNoFileIsCreated()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var settings = new CustodyOptions { KeyEncryptionKey = Convert.ToBase64String(key), DataDirectory = folder };

        using var kek = new LocalKeyEncryptionKey(MsOptions.Create(settings));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key)[..8]), kek.KeyId);
        Assert.False(File.Exists(settings.ResolveKeyFile()));
    }

    [Theory]
    [InlineData("c2hvcnQ=")]
    [InlineData("not base64 at all!")]
    public void ConfiguredKey_ThatIsNot32BytesOfBase64_IsRefused(string configured)
    {
        var error = Assert.Throws<CustodyException>(
            () => new LocalKeyEncryptionKey(MsOptions.Create(new CustodyOptions { KeyEncryptionKey = configured })));

        Assert.Equal(CustodyErrorCodes.KeyInvalid, error.Code);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
