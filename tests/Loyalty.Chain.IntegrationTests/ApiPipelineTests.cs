using System.Net;
using System.Net.Http.Headers;
using System.Numerics;
using System.Text;
using Loyalty.Chain.Custody;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The API host with its Hangfire server: jobs drive the pipeline; the dashboard is for admins only.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class ApiPipelineTests(PipelineFixture f) : IClassFixture<PipelineFixture>, IAsyncLifetime
{
    private ApiFactory _api = null!;

    public Task InitializeAsync()
    {
        _api = new ApiFactory(f.Chain.Node.RpcUrl);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task HangfireDashboard_WithoutAdminKey_Is401_WithAdminKey_Is200()
    {
        var client = _api.CreateClient();
        var anonymous = await client.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong-key")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/hangfire")).StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + _api.AdminKey)));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task QueuedTransaction_IsSubmittedAndConfirmedByHangfireJobs_AndNoKeyIsEverLoggedOrStoredInPlaintext()
    {
        var client = _api.CreateClient();
        string operatorAddress;
        using (var scope = _api.Services.CreateScope())
            operatorAddress = await scope.ServiceProvider.GetRequiredService<CustodyService>().GetOrCreateServiceKeyAsync("operator", null);
        await f.RpcAsync("hardhat_setBalance", $"[\"{operatorAddress}\", \"0x8ac7230489e80000\"]");
        await f.Chain.Points.GrantRoleRequestAndWaitForReceiptAsync(await f.Chain.Points.MinterRoleQueryAsync(), operatorAddress);

        var member = PipelineFixture.NewAddress();
        long id;
        using (var scope = _api.Services.CreateScope())
        {
            var tx = await scope.ServiceProvider.GetRequiredService<ChainTxQueue>()
                .EnqueueAsync(f.Mint(member, 21, from: operatorAddress), CancellationToken.None);
            id = tx.Id;
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        string status = "";
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/admin/chain-txs/{id}")
            {
                Headers = { { "X-Api-Key", _api.AdminKey } },
            });
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsStringAsync();
            status = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("status").GetString()!;
            if (status == "Final") break;
            await Task.Delay(250);
        }
        Assert.Equal("Final", status);
        Assert.Equal(new BigInteger(21), await f.BalanceAsync(member));

        // The admin endpoints refuse a caller without the admin key, with a problem-details body.
        var refused = await client.GetAsync($"/v1/admin/chain-txs/{id}");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("\"code\":\"UNAUTHORIZED\"", await refused.Content.ReadAsStringAsync());

        string privateKeyHex;
        using (var scope = _api.Services.CreateScope())
            privateKeyHex = await scope.ServiceProvider.GetRequiredService<CustodyService>()
                .WithServiceKeyAsync("operator", null, k => k.GetPrivateKeyAsBytes().ToHex(), CancellationToken.None);
        var logs = string.Join('\n', _api.Logs);
        Assert.Contains(operatorAddress, logs, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(privateKeyHex, logs, StringComparison.OrdinalIgnoreCase);
        if (_api.ConnectionString is { } pg)
            Assert.DoesNotContain(privateKeyHex, await TestDatabase.DumpAsync(pg), StringComparison.OrdinalIgnoreCase);
        foreach (var file in Directory.GetFiles(_api.DataDirectory))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var text = Encoding.Latin1.GetString(bytes);
            Assert.DoesNotContain(privateKeyHex, text, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(privateKeyHex.HexToByteArray()));
        }
    }
}
