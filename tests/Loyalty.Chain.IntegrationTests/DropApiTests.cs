using System.Net;
using System.Net.Http.Headers;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Drops through the HTTP API with the Hangfire jobs driving the pipeline, on a real node and SQLite.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class DropApiTests(DropApiFixture f) : IClassFixture<DropApiFixture>
{
    // A 1x1 PNG.
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private LoyaltyCollectibleService Collectible => new(f.Chain.Chain.AdminWeb3, f.CollectibleContract);

    private async Task<long> CreateDropAsync(object body)
    {
        var created = await f.Api.PostAsync(f.P("/drops"), f.AdminKey, body);
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> DropAsync(long dropId) => (await f.Api.GetAsync(f.P($"/drops/{dropId}"), f.AdminKey)).Body!;

    private async Task<JsonNode> WaitForDropAsync(long dropId, Func<JsonNode, bool> done, int seconds = 60)
    {
        JsonNode? last = null;
        var ok = await LoyaltyApi.EventuallyAsync(async () => done(last = await DropAsync(dropId)), TimeSpan.FromSeconds(seconds));
        Assert.True(ok, "drop did not get there: " + last?.ToJsonString());
        return last!;
    }

    private async Task PublishAsync(long dropId)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await f.Api.PostAsync(f.P($"/drops/{dropId}/publish"), f.AdminKey, null)).Status);
        await WaitForDropAsync(dropId, d => d["status"]!.GetValue<string>() == "Published");
    }

    private async Task<string> EnrolAsync(string prefix)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..24];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return id;
    }

    [Fact]
    [Trait("Category", "Scale")]
    public async Task Airdrop_ToAThousandMembers_GivesEachExactlyOneToken_InTheFewestMintTransactions()
    {
        const int members = 1000, chunk = 300;
        using (var scope = f.Factory.Services.CreateScope())
        {
            // Enrolled straight into the tables (enrolment has its own tests); the airdrop itself goes through the API.
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var rows = Enumerable.Range(0, members).Select(i => new Member
            {
                ProgramId = f.ProgramId, ExternalId = $"air-{i}", WalletAddress = EthECKey.GenerateKey().GetPublicAddress().ToLowerInvariant(),
                WalletKind = WalletKind.Custodial, Tier = "launch-1k", CreatedAt = DateTime.UtcNow,
            }).ToList();
            db.AddRange(rows);
            await db.SaveChangesAsync();
            db.AddRange(rows.Select(m => new MemberBalance { MemberId = m.Id, ProgramId = f.ProgramId }));
            db.AddRange(rows.Select(m => new MemberProfile { MemberId = m.Id, ProgramId = f.ProgramId, UpdatedAt = DateTime.UtcNow }));
            await db.SaveChangesAsync();
        }
        var dropId = await CreateDropAsync(new
        {
            name = "Launch", description = "One for every launch member", imageUrl = "https://example.com/launch.png", maxSupply = 5000,
            audience = new { kind = "Rule", tiers = new[] { "launch-1k" } },
        });
        await PublishAsync(dropId);

        var plan = await f.Api.PostAsync(f.P($"/drops/{dropId}/airdrop"), f.AdminKey, new { });
        Assert.Equal(HttpStatusCode.OK, plan.Status);
        Assert.Equal(members, plan.Body!["added"]!.GetValue<int>());
        var again = await f.Api.PostAsync(f.P($"/drops/{dropId}/airdrop"), f.AdminKey, new { });
        Assert.Equal((members, 0), (again.Body!["planned"]!.GetValue<int>(), again.Body["added"]!.GetValue<int>()));

        var done = await WaitForDropAsync(dropId, d => d["minted"]!.GetValue<int>() == members, seconds: 120);
        Assert.Equal((members, 0, 0), (done["planned"]!.GetValue<int>(), done["queued"]!.GetValue<int>() + done["batched"]!.GetValue<int>(),
            done["failed"]!.GetValue<int>()));
        var mintTxs = done["transactions"]!.AsArray().Where(t => t!["purpose"]!.GetValue<string>() == DropProcessor.MintPurpose).ToList();
        Assert.Equal((int)Math.Ceiling(members / (double)chunk), mintTxs.Count);
        Assert.All(mintTxs, t => Assert.Equal("Succeeded", t!["outcome"]!.GetValue<string>()));

        List<DropMint> mints;
        List<string> planned;
        using (var scope = f.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            mints = await db.Set<DropMint>().AsNoTracking().Where(m => m.DropId == dropId).ToListAsync();
            planned = await db.Set<Member>().Where(m => m.ProgramId == f.ProgramId && m.Tier == "launch-1k").Select(m => m.WalletAddress).ToListAsync();
        }
        Assert.Equal(planned.Order(), mints.Select(m => m.Address!).Order());
        var owners = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(mints, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (m, _) =>
        {
            owners.Add((await Collectible.OwnerOfQueryAsync(m.TokenId!.Value)).ToLowerInvariant());
            Assert.Equal(BigInteger.One, await Collectible.BalanceOfQueryAsync(m.Address));
        });
        Assert.Equal(planned.Order(), owners.Order());
    }

    [Fact]
    public async Task MintedToken_MetadataServedMatchesTokenUriOnChain_ImageIsServed_AndTheMemberSeesIt()
    {
        var member = await EnrolAsync("meta");
        var dropId = await CreateDropAsync(new
        {
            name = "Roaster Series", description = "Limited roaster collectible", maxSupply = 50,
            attributes = new[] { new { traitType = "roast", value = "dark" } }, audience = new { kind = "Explicit" },
        });
        using (var upload = new HttpRequestMessage(HttpMethod.Put, f.P($"/drops/{dropId}/image")) { Content = new ByteArrayContent(Png) })
        {
            upload.Headers.Add("X-Api-Key", f.AdminKey);
            upload.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            Assert.Equal(HttpStatusCode.NoContent, (await f.Api.Http.SendAsync(upload)).StatusCode);
        }
        await PublishAsync(dropId);
        Assert.Equal(1, (await f.Api.PostAsync(f.P($"/drops/{dropId}/airdrop"), f.AdminKey, new { memberIds = new[] { member } })).Body!["added"]!.GetValue<int>());
        await WaitForDropAsync(dropId, d => d["minted"]!.GetValue<int>() == 1);

        // The collection comes from the indexer (a scan every second here).
        JsonNode? token = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            var collection = await f.Api.GetAsync(f.P($"/members/{member}/collectibles"), f.AdminKey);
            token = collection.Body?["tokens"]?.AsArray().SingleOrDefault(t => t!["dropId"]!.GetValue<long>() == dropId);
            return token is not null;
        }, TimeSpan.FromSeconds(30)), "the member's collection never showed the token");
        var tokenId = BigInteger.Parse(token!["tokenId"]!.GetValue<string>());
        var metadataUrl = token["metadataUrl"]!.GetValue<string>();
        Assert.Equal(metadataUrl, await Collectible.TokenURIQueryAsync(tokenId));
        Assert.Equal($"http://localhost/v1/public/metadata/{f.ProgramId}/{dropId}/{tokenId}", metadataUrl);

        var metadata = await f.Api.GetAsync(new Uri(metadataUrl).PathAndQuery, null);
        Assert.Equal(HttpStatusCode.OK, metadata.Status);
        Assert.Equal("Roaster Series #1", metadata.Body!["name"]!.GetValue<string>());
        Assert.Equal("Limited roaster collectible", metadata.Body["description"]!.GetValue<string>());
        var imageUrl = metadata.Body["image"]!.GetValue<string>();
        Assert.Equal($"http://localhost/v1/public/drops/{f.ProgramId}/{dropId}/image", imageUrl);
        var attributes = metadata.Body["attributes"]!.AsArray();
        Assert.Contains(attributes, a => a!["trait_type"]!.GetValue<string>() == "roast" && a["value"]!.GetValue<string>() == "dark");
        Assert.Contains(attributes, a => a!["trait_type"]!.GetValue<string>() == "soulbound" && !a["value"]!.GetValue<bool>());

        var image = await f.Api.Http.GetAsync(new Uri(imageUrl).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Png, await image.Content.ReadAsByteArrayAsync());

        var unminted = await f.Api.GetAsync($"/v1/public/metadata/{f.ProgramId}/{dropId}/{tokenId + 1}", null);
        Assert.Equal(HttpStatusCode.NotFound, unminted.Status);
        Assert.Equal("UNKNOWN_TOKEN", unminted.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Voucher_ClaimedBySelfCustodyWallet_WorksOnce_AndARelayedReplayIsErroredWithVoucherUsed()
    {
        var member = await EnrolAsync("self");
        var custodial = await EnrolAsync("cust");
        var wallet = EthECKey.GenerateKey();
        var address = wallet.GetPublicAddress();
        using (var scope = f.Factory.Services.CreateScope())
        {
            // Linking through SIWE has its own tests; here the member simply has a linked wallet.
            await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<Member>()
                .Where(m => m.ProgramId == f.ProgramId && m.ExternalId == member)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.WalletAddress, address.ToLowerInvariant()).SetProperty(m => m.WalletKind, WalletKind.SelfCustody));
        }
        await f.Chain.RpcAsync("hardhat_setBalance", $"[\"{address}\", \"0x8ac7230489e80000\"]");
        var dropId = await CreateDropAsync(new { name = "Open House", description = "Claim yours", maxSupply = 10, audience = new { kind = "OpenClaim" } });
        await PublishAsync(dropId);

        var issued = await f.Api.PostAsync(f.P($"/drops/{dropId}/vouchers"), f.AdminKey, new { memberId = member });
        Assert.True(issued.Status == HttpStatusCode.OK, issued.Body?.ToJsonString());
        var v = issued.Body!;
        Assert.Equal(address.ToLowerInvariant(), v["recipient"]!.GetValue<string>());
        Assert.Equal("Claim", v["typedData"]!["primaryType"]!.GetValue<string>());
        var again = await f.Api.PostAsync(f.P($"/drops/{dropId}/vouchers"), f.AdminKey, new { memberId = member });
        Assert.Equal(v["nonce"]!.GetValue<string>(), again.Body!["nonce"]!.GetValue<string>());
        var refused = await f.Api.PostAsync(f.P($"/drops/{dropId}/vouchers"), f.AdminKey, new { memberId = custodial });
        Assert.Equal((HttpStatusCode.Conflict, "NOT_SELF_CUSTODY"), (refused.Status, refused.Body!["code"]!.GetValue<string>()));

        // The member submits it from their own wallet, paying their own gas.
        var mine = new LoyaltyCollectibleService(f.Chain.Chain.Web3For(new Account(wallet, HardhatNode.ChainId)), v["contract"]!.GetValue<string>());
        ClaimFunction Claim() => new()
        {
            Recipient = v["recipient"]!.GetValue<string>(), DropId = BigInteger.Parse(v["dropId"]!.GetValue<string>()),
            Nonce = BigInteger.Parse(v["nonce"]!.GetValue<string>()), Deadline = v["deadline"]!.GetValue<long>(),
            Signature = v["signature"]!.GetValue<string>().HexToByteArray(),
        };
        var claim = Claim();
        var receipt = await mine.ClaimRequestAndWaitForReceiptAsync(claim);
        Assert.Equal(1UL, receipt.Status.Value);
        var tokenId = receipt.DecodeAllEvents<VoucherClaimedEventDTO>().Single().Event.TokenId;
        Assert.Equal(address.ToLowerInvariant(), (await Collectible.OwnerOfQueryAsync(tokenId)).ToLowerInvariant());

        var replay = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() => mine.ClaimRequestAndWaitForReceiptAsync(Claim()));
        Assert.True(replay.IsCustomErrorFor<LoyaltyCollectibleVoucherUsedError>());

        // Relaying the spent voucher: the pipeline records the revert as Errored with the decoded error.
        var relay = await f.Api.PostAsync(f.P($"/drops/{dropId}/vouchers/{claim.Nonce}/relay"), f.AdminKey, null);
        Assert.True(relay.Status == HttpStatusCode.Accepted, relay.Body?.ToJsonString());
        var relayTx = relay.Body!["relayTxId"]!.GetValue<long>();
        JsonNode? tx = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            tx = (await f.Api.GetAsync($"/v1/admin/chain-txs/{relayTx}", f.Factory.AdminKey)).Body;
            return tx?["status"]?.GetValue<string>() == "Errored";
        }, TimeSpan.FromSeconds(30)), "relay not errored: " + tx?.ToJsonString());
        Assert.Equal(DropProcessor.VoucherUsedError, tx!["errorCode"]!.GetValue<string>());
        await WaitForDropAsync(dropId, d => d["vouchersClaimed"]!.GetValue<int>() == 1);
        var twice = await f.Api.PostAsync(f.P($"/drops/{dropId}/vouchers/{claim.Nonce}/relay"), f.AdminKey, null);
        Assert.Equal((HttpStatusCode.Conflict, "VOUCHER_USED"), (twice.Status, twice.Body!["code"]!.GetValue<string>()));
    }
}
