using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The real API on a real loopback port (Kestrel, in process), so a program outside the test process can call
/// it: a node, the API, and one Active program, as in <see cref="ProgramFixture"/>.
/// </summary>
public sealed class PartnerHostFixture : IAsyncLifetime
{
    public PipelineFixture Chain { get; } = new();
    public ApiFactory Factory { get; private set; } = null!;
    public LoyaltyApi Api { get; private set; } = null!;
    public string ApiUrl { get; private set; } = "";
    public long ProgramId { get; private set; }
    public string AdminKey { get; private set; } = "";
    public string PointsContract { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Chain.InitializeAsync();
        Factory = new ApiFactory(Chain.Chain.Node.RpcUrl);
        Factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        Factory.StartServer();
        ApiUrl = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Api = new LoyaltyApi(new HttpClient { BaseAddress = new Uri(ApiUrl), Timeout = TimeSpan.FromSeconds(30) });

        var op = await Api.GetAsync("/v1/admin/operator", Factory.AdminKey);
        await Chain.RpcAsync("hardhat_setBalance", $"[\"{op.Body!["address"]!.GetValue<string>()}\", \"0x56bc75e2d63100000\"]");
        var created = await Api.PostAsync("/v1/programs", Factory.AdminKey, new
        {
            name = "Partner Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR",
            pendingPeriodSeconds = 0, timeZone = "UTC",
        });
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"program not created: {created.Status} {created.Body}");
        ProgramId = created.Body!["program"]!["id"]!.GetValue<long>();
        AdminKey = created.Body["adminKey"]!.GetValue<string>();
        JsonNode program = created.Body["program"]!;
        var active = await LoyaltyApi.EventuallyAsync(async () =>
        {
            program = (await Api.GetAsync($"/v1/programs/{ProgramId}", AdminKey)).Body!;
            return program["status"]!.GetValue<string>() == "Active";
        }, TimeSpan.FromSeconds(90));
        if (!active) throw new InvalidOperationException("program did not become active: " + program);
        PointsContract = program["pointsContract"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        Api?.Http.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
        await Chain.DisposeAsync();
    }
}

/// <summary>examples/partner-verify/verify.mjs, run with Node 22 and ethers against the fixture's node and API.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class PartnerExampleTests(PartnerHostFixture f) : IClassFixture<PartnerHostFixture>
{
    private static string Script => Path.Combine(RepoPaths.Root, "examples", "partner-verify", "verify.mjs");

    [Fact]
    public async Task VerifyScript_ChecksTheBalanceAndTheAttestationAgainstTheNode_AndFailsWhenTheServiceWillNotAttest()
    {
        var wallet = await PartnerTestSupport.FundedMemberAsync(f.Api, f.ProgramId, f.AdminKey, f.Chain.Chain.AdminWeb3, f.PointsContract, 40, "gold");
        var partnerKey = await PartnerTestSupport.PartnerKeyAsync(f.Api, f.ProgramId, f.AdminKey);

        var (exit, result, output) = await RunScriptAsync(partnerKey, "--address", wallet, "--min", "40", "--tier", "gold");

        Assert.True(exit == 0, $"verify.mjs exited with {exit}:\n{output}");
        Assert.True(result["balanceVerified"]!.GetValue<bool>(), output);
        Assert.True(result["attestationVerified"]!.GetValue<bool>(), output);
        Assert.Equal("40", result["balance"]!.GetValue<string>());
        Assert.Equal("gold", result["attestation"]!["tier"]!.GetValue<string>());
        Assert.Empty(result["failures"]!.AsArray());
        Assert.DoesNotContain(partnerKey, output);

        // The service refuses a statement the chain does not support, and the partner sees a failure, not a pass.
        var (refusedExit, refused, refusedOutput) = await RunScriptAsync(partnerKey, "--address", wallet, "--min", "41");
        Assert.Equal(1, refusedExit);
        Assert.True(refused["balanceVerified"]!.GetValue<bool>(), refusedOutput);
        Assert.False(refused["attestationVerified"]!.GetValue<bool>(), refusedOutput);
        Assert.Contains("BELOW_THRESHOLD", refused["failures"]!.ToJsonString());
    }

    /// <summary>Runs the example as a partner would; the key goes through the environment, not the command line.</summary>
    private async Task<(int Exit, JsonNode Result, string Output)> RunScriptAsync(string partnerKey, params string[] args)
    {
        var psi = new ProcessStartInfo(RepoPaths.NodeExecutable)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Script, "--rpc", f.Chain.Chain.Node.RpcUrl, "--api", f.ApiUrl, "--program", f.ProgramId.ToString() }.Concat(args))
            psi.ArgumentList.Add(a);
        psi.Environment["LC_PARTNER_KEY"] = partnerKey;
        var nodeDir = Path.GetDirectoryName(RepoPaths.NodeExecutable);
        if (!string.IsNullOrEmpty(nodeDir))
            psi.Environment["PATH"] = nodeDir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"verify.mjs did not finish in 60 s:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // flushes the redirected streams
        var output = $"{stdout}\n{stderr}";
        var lastLine = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                       ?? throw new InvalidOperationException("verify.mjs printed nothing:\n" + output);
        return (process.ExitCode, JsonNode.Parse(lastLine)!, output);
    }
}
