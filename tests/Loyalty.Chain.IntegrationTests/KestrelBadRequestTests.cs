using System.Net.Sockets;
using System.Text;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>One API process on a real Kestrel for the class; no node is needed to parse requests, so the jobs stay off.</summary>
public sealed class KestrelProcessFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("lc-kestrel-");
    public ApiProcess Api { get; private set; } = null!;

    public async Task InitializeAsync() => Api = await ApiProcess.StartAsync(new Dictionary<string, string>
    {
        ["Chain:RpcUrl"] = $"http://127.0.0.1:{HardhatNode.FreePort()}",
        ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
        ["Database:DataDirectory"] = _data.FullName,
        ["Custody:DataDirectory"] = _data.FullName,
        ["Custody:KeystoreScryptN"] = "4096",
        ["Admin:ApiKeySha256"] = Loyalty.Chain.Access.ApiKeyService.Hash("unused-admin-key"),
        ["Jobs:RunServer"] = "false",
    });

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        try { _data.Delete(recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The requests Kestrel refuses before any middleware runs (so only a real Kestrel, in its own process, shows
/// them) still get problem details with a code, and a well-formed request on the same server is unaffected.
/// </summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class KestrelBadRequestTests(KestrelProcessFixture f) : IClassFixture<KestrelProcessFixture>
{
    [Theory]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: bad host\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /v1 HTTP/1.1\r\n\r\n")]
    public async Task ARequestKestrelCannotParse_GetsProblemDetailsWithACode(string raw)
    {
        var answer = await SendRawAsync(raw);

        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("Content-Type: application/problem+json", answer);
        Assert.Contains("\"code\":\"BAD_REQUEST\"", answer);
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", answer);
    }

    [Fact]
    public async Task AWellFormedRequest_IsAnsweredNormally()
    {
        var answer = await SendRawAsync("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.Contains("\"status\":\"ok\"", answer);
        Assert.DoesNotContain("problem+json", answer);
    }

    private async Task<string> SendRawAsync(string raw)
    {
        var uri = new Uri(f.Api.BaseUrl);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        using var read = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.CopyToAsync(read, timeout.Token);
        return Encoding.UTF8.GetString(read.ToArray());
    }
}
