using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Ownership;
using Loyalty.Chain.Sunset;
using Loyalty.Chain.Transactions;
using Loyalty.Chain.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The API on a real loopback port (scripts/verify-snapshot.mjs calls it from outside), no withdrawal cool-off, a fast indexer.</summary>
public sealed class SunsetFixture : ProgramFixture
{
    public string ApiUrl { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Wallets:WithdrawalCoolOff"] = "00:00:00",
        ["Indexer:Interval"] = "00:00:01",
        ["Webhooks:AllowLoopbackHttp"] = "true",
    };

    protected override Action<ApiFactory>? BeforeStart => factory => factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));

    protected override HttpClient CreateClient(ApiFactory factory)
    {
        factory.StartServer();
        ApiUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HttpClient { BaseAddress = new Uri(ApiUrl), Timeout = TimeSpan.FromSeconds(60) };
    }
}

/// <summary>A sunset end to end on the real node: earning refused, a withdrawal, the snapshot verified from outside, collectibles re-hosted.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class SunsetTests(SunsetFixture f) : IClassFixture<SunsetFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private LoyaltyPointsService Points => new(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
    private LoyaltyCollectibleService Collectible => new(f.Chain.Chain.AdminWeb3, f.CollectibleContract);

    [Fact]
    public async Task Sunset_RefusesEarning_LetsMembersWithdraw_PublishesAVerifiedSnapshot_AndRehostsTheCollectibles()
    {
        // Before: a member with a linked wallet, a custodial member, both with points on chain; a collectible drop minted to the second.
        var (wallet, _) = await AssetMoveSupport.MemberWithPointsAsync(f, "sun-leaver", 50);
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "stay", trigger = "stay", effect = new { kind = "Fixed", points = 30 } });
        var stayer = (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "sun-stayer" })).Body!["walletAddress"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "stay", memberId = "sun-stayer", eventId = "stay-1" })).Status);
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Points.BalanceOfQueryAsync(stayer) == 30, Wait), "the stayer's points were not minted");
        var dropId = await MintedDropAsync("sun-stayer");
        var hook = await f.Api.PostAsync("/v1/programs/" + f.ProgramId + "/webhooks", f.AdminKey,
            new { url = "http://127.0.0.1:9/hook", eventTypes = new[] { SunsetService.SunsettingEvent, SunsetService.EndedEvent } });
        Assert.Equal(HttpStatusCode.Created, hook.Status);
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "last coffee", cost = "5" })).Body!["id"]!.GetValue<long>();

        // The sunset: bad input changes nothing; then earning stops at once and the program shows Sunsetting with its date.
        Assert.Equal("INVALID_ENDS_AT", (await f.Api.PostAsync(f.P("/sunset"), f.AdminKey, new { endsAt = "2020-01-01T00:00:00Z" })).Body!["code"]!.GetValue<string>());
        Assert.Equal("Active", (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!["status"]!.GetValue<string>());
        var endsAt = DateTime.UtcNow.AddDays(30).Date;
        var started = await f.Api.PostAsync(f.P("/sunset"), f.AdminKey, new { endsAt }, "sunset-1");
        Assert.Equal(HttpStatusCode.OK, started.Status);
        Assert.Equal("Sunsetting", started.Body!["status"]!.GetValue<string>());
        Assert.Equal("PROGRAM_ALREADY_SUNSETTING", (await f.Api.PostAsync(f.P("/sunset"), f.AdminKey, new { endsAt })).Body!["code"]!.GetValue<string>());
        var program = (await f.Api.GetAsync(f.P(""), f.AdminKey)).Body!;
        Assert.Equal("Sunsetting", program["status"]!.GetValue<string>());
        Assert.Equal(endsAt, program["sunset"]!["endsAt"]!.GetValue<DateTime>().ToUniversalTime());
        var open = (await f.Api.GetAsync($"/v1/public/programs/{f.ProgramId}", null)).Body!;
        Assert.Equal("Sunsetting", open["status"]!.GetValue<string>());

        var eventsBefore = await CountAsync<LoyaltyEvent>();
        var earn = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "stay", memberId = "sun-stayer", eventId = "stay-2" });
        Assert.Equal(HttpStatusCode.Conflict, earn.Status);
        Assert.Equal("PROGRAM_SUNSETTING", earn.Body!["code"]!.GetValue<string>());
        Assert.Equal(eventsBefore, await CountAsync<LoyaltyEvent>());
        // Nor by hand: an admin grant is refused the same way and writes no adjustment.
        var adjustmentsBefore = await CountAsync<Loyalty.Chain.Adjustments.Adjustment>();
        var grant = await f.Api.PostAsync(f.P("/members/sun-stayer/adjustments"), f.AdminKey,
            new { type = "grant", points = "10", reason = "goodwill" }, "sunset-grant");
        Assert.Equal(HttpStatusCode.Conflict, grant.Status);
        Assert.Equal("PROGRAM_SUNSETTING", grant.Body!["code"]!.GetValue<string>());
        Assert.Equal(adjustmentsBefore, await CountAsync<Loyalty.Chain.Adjustments.Adjustment>());
        using (var scope = f.Factory.Services.CreateScope())
        {
            var announced = await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<WebhookEvent>()
                .SingleAsync(e => e.ProgramId == f.ProgramId && e.Type == SunsetService.SunsettingEvent);
            Assert.Contains("\"endsAt\"", announced.Payload);
        }

        // Until the date members still redeem, and withdraw to their own wallet (operator-paid).
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members/sun-stayer/redemptions"), f.AdminKey, new { rewardId = reward })).Status);
        var token = await AssetMoveSupport.TokenAsync(f, "sun-leaver");
        Assert.Equal(HttpStatusCode.Accepted, (await AssetMoveSupport.AsMemberAsync(f, token, f.P("/members/sun-leaver/withdrawals"))).StatusCode);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Points.BalanceOfQueryAsync(wallet) == 50, Wait), "the withdrawal did not arrive");
        // A few blocks so that the withdrawal is below the snapshot's confirmation depth.
        var withdrawnAt = (await f.Chain.Chain.AdminWeb3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Chain.Chain.AdminWeb3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value >= withdrawnAt + 4, Wait));

        // The end, taken now: redemption closes and the snapshot is published.
        var ended = await f.Api.PostAsync(f.P("/sunset/snapshot"), f.AdminKey, null, "snapshot-1");
        Assert.Equal(HttpStatusCode.OK, ended.Status);
        Assert.Equal("Sunset", ended.Body!["status"]!.GetValue<string>());
        var summary = ended.Body["snapshot"]!;
        var block = summary["block"]!.GetValue<long>();
        var redeem = await f.Api.PostAsync(f.P("/members/sun-stayer/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal(HttpStatusCode.Conflict, redeem.Status);
        Assert.Equal("PROGRAM_SUNSET", redeem.Body!["code"]!.GetValue<string>());

        var snapshot = (await f.Api.GetAsync($"/v1/public/programs/{f.ProgramId}/sunset/snapshot", null)).Body!;
        var leaves = snapshot["points"]!["leaves"]!.AsArray();
        Assert.Contains(leaves, l => l!["address"]!.GetValue<string>() == wallet.ToLowerInvariant() && l["balance"]!.GetValue<string>() == "50");
        Assert.Equal(summary["pointsLeafCount"]!.GetValue<int>(), leaves.Count);
        Assert.Contains(snapshot["collectibles"]!["leaves"]!.AsArray(), l => l!["owner"]!.GetValue<string>() == stayer.ToLowerInvariant());
        var published = (await f.Api.GetAsync($"/v1/public/programs/{f.ProgramId}", null)).Body!;
        Assert.Equal("Sunset", published["status"]!.GetValue<string>());
        Assert.Equal(summary["pointsRoot"]!.GetValue<string>(), published["sunset"]!["snapshot"]!["pointsRoot"]!.GetValue<string>());
        var proof = (await f.Api.GetAsync($"/v1/public/programs/{f.ProgramId}/sunset/proof/{wallet}", null)).Body!;
        Assert.True(SunsetMerkle.Verify(summary["pointsRoot"]!.GetValue<string>(), SunsetMerkle.LeafOf(wallet, 50),
            proof["proof"]!.AsArray().Select(p => p!.GetValue<string>())));
        Assert.Equal("NOT_IN_SNAPSHOT", (await f.Api.GetAsync($"/v1/public/programs/{f.ProgramId}/sunset/proof/0x000000000000000000000000000000000000dEaD", null)).Body!["code"]!.GetValue<string>());

        // Verified from outside: the script recomputes the root and asks the node for every balance at the block.
        var (exit, result, output) = await RunVerifierAsync();
        Assert.True(exit == 0, $"verify-snapshot.mjs exited with {exit}:\n{output}");
        Assert.True(result["snapshot_root_verified"]!.GetValue<bool>(), output);
        Assert.Equal(block, result["block"]!.GetValue<long>());
        Assert.Equal(summary["pointsRoot"]!.GetValue<string>(), result["points_root"]!.GetValue<string>());

        // The custodial member takes their key with them (their own token), audited.
        var stayerToken = await AssetMoveSupport.TokenAsync(f, "sun-stayer");
        Assert.Equal("WEAK_PASSWORD", (await SendAsMemberAsync(stayerToken, f.P("/members/sun-stayer/wallet/claim"), new { passphrase = "short" })).Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsMemberAsync(stayerToken, f.P("/members/sun-leaver/wallet/claim"), new { passphrase = "correct horse battery staple" })).Status);
        var claimed = await SendAsMemberAsync(stayerToken, f.P("/members/sun-stayer/wallet/claim"), new { passphrase = "correct horse battery staple" });
        Assert.Equal(HttpStatusCode.OK, claimed.Status);
        var key = new Nethereum.KeyStore.KeyStoreService().DecryptKeyStoreFromJson("correct horse battery staple", claimed.Body!.ToJsonString());
        Assert.Equal(stayer.ToLowerInvariant(), new EthECKey(key, true).GetPublicAddress().ToLowerInvariant());
        var audit = (await f.Api.GetAsync(f.P("/audit/asset-moves"), f.AdminKey)).Body!.ToJsonString();
        Assert.Contains(KeystoreClaim.Action, audit);

        // Metadata exported as a static folder, then the drop pointed at its new host on chain (ERC-4906 event checked).
        var export = await f.Api.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, f.P("/sunset/metadata-export"))
        {
            Headers = { { "X-Api-Key", f.AdminKey } },
            Content = JsonContent.Create(new { hostUrl = "https://new.host/coffee/" }),
        });
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/zip", export.Content.Headers.ContentType!.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await export.Content.ReadAsByteArrayAsync()));
        var tokenId = BigInteger.Parse(snapshot["collectibles"]!["leaves"]!.AsArray().First(l => l!["owner"]!.GetValue<string>() == stayer.ToLowerInvariant())!["tokenId"]!.GetValue<string>());
        var metadataEntry = zip.GetEntry($"{dropId}/{tokenId}") ?? throw new Xunit.Sdk.XunitException("no metadata for the token: " + string.Join(", ", zip.Entries.Select(e => e.FullName)));
        using (var reader = new StreamReader(metadataEntry.Open()))
            Assert.Equal($"https://new.host/coffee/{dropId}/image.png", JsonNode.Parse(await reader.ReadToEndAsync())!["image"]!.GetValue<string>());
        Assert.NotNull(zip.GetEntry($"{dropId}/image.png"));
        Assert.NotNull(zip.GetEntry("index.json"));

        Assert.Equal("INVALID_BASE_URI", (await f.Api.PostAsync(f.P($"/drops/{dropId}/base-uri"), f.AdminKey, new { baseUri = "ftp://x/" })).Body!["code"]!.GetValue<string>());
        // The database takes the new base URI only when the chain has it: while the change is pending (no blocks) the answer and
        // the drop show the old one and the pending one, and a second change is refused and changes nothing.
        var original = (await DropAsync(dropId))["baseUri"]!.GetValue<string>();
        var hosted = $"https://new.host/coffee/{dropId}/";
        await f.Chain.StopBlockProductionAsync(automine: false);
        try
        {
            var repointed = await f.Api.PostAsync(f.P($"/drops/{dropId}/base-uri"), f.AdminKey, new { baseUri = hosted }, "rehost-1");
            Assert.Equal(HttpStatusCode.Accepted, repointed.Status);
            Assert.Equal(original, repointed.Body!["baseUri"]!.GetValue<string>());
            Assert.Equal(hosted, repointed.Body["pendingBaseUri"]!.GetValue<string>());
            var second = await f.Api.PostAsync(f.P($"/drops/{dropId}/base-uri"), f.AdminKey, new { baseUri = "https://other.host/x/" }, "rehost-1b");
            Assert.Equal(HttpStatusCode.Conflict, second.Status);
            Assert.Equal("BASE_URI_CHANGE_PENDING", second.Body!["code"]!.GetValue<string>());
            var pending = await DropAsync(dropId);
            Assert.Equal(original, pending["baseUri"]!.GetValue<string>());
            Assert.Equal(hosted, pending["pendingBaseUri"]!.GetValue<string>());
            Assert.Equal(1, await CountAsync<ChainTx>(t => t.Purpose == DropRehosting.BaseUriPurpose));
        }
        finally
        {
            await f.Chain.RestoreBlockProductionAsync();
        }
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Collectible.TokenURIQueryAsync(tokenId) == $"{hosted}{tokenId}", Wait),
            "tokenURI did not change on chain");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await DropAsync(dropId))["pendingBaseUri"] is null, Wait), "the change was not applied");
        Assert.Equal(hosted, (await DropAsync(dropId))["baseUri"]!.GetValue<string>());
        var logs = await f.Chain.Chain.AdminWeb3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
        {
            Address = [f.CollectibleContract], FromBlock = new BlockParameter(new HexBigInteger(block)), ToBlock = BlockParameter.CreateLatest(),
        });
        var updates = logs.DecodeAllEvents<BatchMetadataUpdateEventDTO>();
        Assert.Contains(updates, u => u.Event.FromTokenId <= tokenId && tokenId <= u.Event.ToTokenId);

        // A change the chain refuses (the relayer's DROP_ADMIN_ROLE revoked by the service's admin): the base URI stays what the
        // contract has, the pending change is dropped, and the drop can be changed again.
        var prog = await DbAsync(db => db.Set<Loyalty.Chain.Programs.LoyaltyProgram>().AsNoTracking().SingleAsync(x => x.Id == f.ProgramId));
        var revoke = await RunTxAsync(Roles.RevokeTx(prog, prog.ServiceAdmin, new RoleAssignment(ProgramContract.Collectible, Roles.DropAdmin, prog.Relayer), "test.revoke"));
        Assert.Equal(ChainTxOutcome.Succeeded, revoke.Outcome);
        var refused = await f.Api.PostAsync(f.P($"/drops/{dropId}/base-uri"), f.AdminKey, new { baseUri = "https://refused.host/x/" }, "rehost-2");
        Assert.Equal(HttpStatusCode.Accepted, refused.Status);
        var refusedTx = refused.Body!["chainTxId"]!.GetValue<long>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await DropAsync(dropId))["pendingBaseUri"] is null, Wait), "the refused change stayed pending");
        var failed = await DbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == refusedTx));
        Assert.True(failed.Status == ChainTxStatus.Errored || failed.Outcome == ChainTxOutcome.Reverted, $"{failed.Status} {failed.Outcome}");
        Assert.Equal(hosted, (await DropAsync(dropId))["baseUri"]!.GetValue<string>());
        Assert.Equal($"{hosted}{tokenId}", await Collectible.TokenURIQueryAsync(tokenId));
    }

    private async Task<JsonNode> DropAsync(long dropId) => (await f.Api.GetAsync(f.P($"/drops/{dropId}"), f.AdminKey)).Body!["drop"]!;

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>Sends a transaction through the service's pipeline and waits for it to finish.</summary>
    private async Task<ChainTx> RunTxAsync(ChainTxRequest request)
    {
        long id;
        using (var scope = f.Factory.Services.CreateScope())
            id = (await scope.ServiceProvider.GetRequiredService<ChainTxQueue>().EnqueueAsync(request, CancellationToken.None)).Id;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await DbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == id))).IsTerminal, Wait));
        return await DbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == id));
    }

    private async Task<long> MintedDropAsync(string member)
    {
        var created = await f.Api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "Farewell", description = "Last roast", maxSupply = 10, audience = new { kind = "Explicit" } });
        var dropId = created.Body!["id"]!.GetValue<long>();
        using (var upload = new HttpRequestMessage(HttpMethod.Put, f.P($"/drops/{dropId}/image")) { Content = new ByteArrayContent(Png) })
        {
            upload.Headers.Add("X-Api-Key", f.AdminKey);
            upload.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            Assert.Equal(HttpStatusCode.NoContent, (await f.Api.Http.SendAsync(upload)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await f.Api.PostAsync(f.P($"/drops/{dropId}/publish"), f.AdminKey, null)).Status);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/drops/{dropId}"), f.AdminKey)).Body!["status"]!.GetValue<string>() == "Published", Wait));
        await f.Api.PostAsync(f.P($"/drops/{dropId}/airdrop"), f.AdminKey, new { memberIds = new[] { member } });
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/drops/{dropId}"), f.AdminKey)).Body!["minted"]!.GetValue<int>() == 1, Wait), "the drop was not minted");
        return dropId;
    }

    private Task<int> CountAsync<T>(System.Linq.Expressions.Expression<Func<T, bool>>? where = null) where T : class =>
        DbAsync(db => where is null ? db.Set<T>().CountAsync() : db.Set<T>().CountAsync(where));

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsMemberAsync(string token, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await f.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<(int Exit, JsonNode Result, string Output)> RunVerifierAsync()
    {
        var psi = new ProcessStartInfo(RepoPaths.NodeExecutable)
        {
            WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(RepoPaths.Root, "scripts", "verify-snapshot.mjs"), "--api", f.ApiUrl, "--program", f.ProgramId.ToString(),
                     "--rpc", f.Chain.Chain.Node.RpcUrl })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = $"{await stdout}\n{await stderr}";
        var last = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                   ?? throw new InvalidOperationException("verify-snapshot.mjs printed nothing:\n" + output);
        return (process.ExitCode, JsonNode.Parse(last)!, output);
    }
}
