using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Ownership;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Issue 17: a program's roles are split over its own keys, and the admin roles are handed over to the brand (a Hardhat
/// account this test holds the key of), with every role read back from the real node.
/// </summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class OwnershipTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly Account brand = new(HardhatNode.DevKeys[2], HardhatNode.ChainId);

    private LoyaltyPointsService PointsAs(Account a) => new(f.Chain.Chain.Web3For(a), f.Program["pointsContract"]!.GetValue<string>());
    private LoyaltyCollectibleService CollectibleAs(Account a) => new(f.Chain.Chain.Web3For(a), f.CollectibleContract);

    private async Task<JsonNode> OwnershipAsync() => (await f.Api.GetAsync(f.P("/ownership"), f.AdminKey)).Body!;

    private static List<string> Roles(JsonNode? view, string contract) => view![contract]!.AsArray().Select(r => r!.GetValue<string>()).ToList();

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>Before the hand-over (one fact below: the fixture's program is handed over once).</summary>
    private async Task NewProgram_HasItsOwnKeys_EachHoldingOnlyItsRoles_AndTheOperatorHoldsNone()
    {
        var view = await OwnershipAsync();
        var roles = view["serviceRoles"]!;
        var (admin, minter, signer) = (roles["admin"]!["address"]!.GetValue<string>(), roles["minter"]!["address"]!.GetValue<string>(),
            roles["claimSigner"]!["address"]!.GetValue<string>());
        var operatorAddress = view["operatorAddress"]!.GetValue<string>();
        Assert.Equal(4, new[] { admin, minter, signer, operatorAddress }.Distinct().Count());
        Assert.False(view["handedOver"]!.GetValue<bool>());
        Assert.Equal(admin, view["admin"]!.GetValue<string>());
        Assert.Equal(["DEFAULT_ADMIN_ROLE", "PAUSER_ROLE"], Roles(roles["admin"], "points"));
        Assert.Equal(["DEFAULT_ADMIN_ROLE", "PAUSER_ROLE"], Roles(roles["admin"], "collectible"));
        Assert.Equal(["MINTER_ROLE"], Roles(roles["minter"], "points"));
        Assert.Equal(["MINTER_ROLE", "DROP_ADMIN_ROLE"], Roles(roles["minter"], "collectible"));
        Assert.Empty(Roles(roles["claimSigner"], "points"));
        Assert.Equal(["CLAIM_SIGNER_ROLE"], Roles(roles["claimSigner"], "collectible"));
        var points = PointsAs(f.Chain.Chain.Admin);
        foreach (var role in new[] { new byte[32], await points.MinterRoleQueryAsync(), await points.PauserRoleQueryAsync() })
            Assert.False(await points.HasRoleQueryAsync(role, operatorAddress));
    }

    /// <summary>A role report (every role of every key on both contracts) is one JSON-RPC batch, answering as one hasRole call per role does.</summary>
    [Fact]
    public async Task RoleRead_IsOneJsonRpcBatchRequest_WithTheAnswersOfOneHasRoleCallEach()
    {
        var program = await DbAsync(db => db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == f.ProgramId));
        string[] names = [Loyalty.Chain.Ownership.Roles.DefaultAdmin, Loyalty.Chain.Ownership.Roles.Minter, Loyalty.Chain.Ownership.Roles.Pauser,
            Loyalty.Chain.Ownership.Roles.DropAdmin, Loyalty.Chain.Ownership.Roles.ClaimSigner];
        var all = new[] { program.ServiceAdmin, program.Relayer, program.ClaimSigner, brand.Address }
            .SelectMany(a => names.SelectMany(r => new[] { new RoleAssignment(ProgramContract.Points, r, a), new RoleAssignment(ProgramContract.Collectible, r, a) }))
            .ToList();
        await using var proxy = new CountingRpcProxy(f.Chain.Chain.Node.RpcUrl);
        var held = await Loyalty.Chain.Ownership.Roles.ReadAsync(new Nethereum.Web3.Web3(new Nethereum.JsonRpc.Client.RpcClient(new Uri(proxy.Url))), program, all);
        Assert.Equal(1, proxy.Requests);
        Assert.Equal(all.Count, held.Count);
        var (points, collectible) = (PointsAs(f.Chain.Chain.Admin), CollectibleAs(f.Chain.Chain.Admin));
        foreach (var r in all)
        {
            var role = Loyalty.Chain.Ownership.Roles.Hash(r.Role);
            var one = r.Contract == ProgramContract.Points ? await points.HasRoleQueryAsync(role, r.Account) : await collectible.HasRoleQueryAsync(role, r.Account);
            Assert.True(one == held[r], $"{r}: batch {held[r]}, hasRole {one}");
        }
        Assert.Contains(held.Values, v => v);
        Assert.Contains(held.Values, v => !v);

        // A provider that refuses batches: the same answers, one hasRole call each after the refused batch.
        await using var refusing = new CountingRpcProxy(f.Chain.Chain.Node.RpcUrl, refuseBatches: true);
        var single = await Loyalty.Chain.Ownership.Roles.ReadAsync(new Nethereum.Web3.Web3(new Nethereum.JsonRpc.Client.RpcClient(new Uri(refusing.Url))), program, all);
        Assert.Equal(held, single);
        Assert.Equal(1 + all.Count, refusing.Requests);
    }

    [Fact]
    public async Task Handover_GivesTheBrandTheAdmin_ServiceCannotGrantAnyMore_PauseIsOffChain_AndARevokedMinterStopsSettlementWithAnAlert()
    {
        await NewProgram_HasItsOwnKeys_EachHoldingOnlyItsRoles_AndTheOperatorHoldsNone();
        foreach (var bad in new[] { "0x123", "0x" + new string('a', 40) + "\n", "0x" + new string('0', 40), "not an address", "" })
        {
            var refused = await f.Api.PostAsync(f.P("/ownership"), f.AdminKey, new { newAdmin = bad });
            Assert.True(refused.Status == HttpStatusCode.BadRequest, $"{bad}: {refused.Status} {refused.Body}");
            Assert.Equal("INVALID_ADDRESS", refused.Body!["code"]!.GetValue<string>());
        }
        Assert.Equal("none", (await OwnershipAsync())["status"]!.GetValue<string>());

        var accepted = await f.Api.PostAsync(f.P("/ownership"), f.AdminKey, new { newAdmin = brand.Address }, "handover-1");
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal("granting", accepted.Body!["status"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await OwnershipAsync())["status"]!.GetValue<string>() is "completed" or "failed", Wait),
            "the hand-over did not finish");
        var view = await OwnershipAsync();
        Assert.True(view["handedOver"]!.GetValue<bool>(), view.ToJsonString());
        Assert.Equal(brand.Address.ToLowerInvariant(), view["admin"]!.GetValue<string>());
        var roles = view["serviceRoles"]!;
        Assert.Empty(Roles(roles["admin"], "points"));
        Assert.Empty(Roles(roles["admin"], "collectible"));
        Assert.Equal(["MINTER_ROLE"], Roles(roles["minter"], "points"));
        Assert.Equal(["MINTER_ROLE", "DROP_ADMIN_ROLE"], Roles(roles["minter"], "collectible"));
        Assert.Equal(["CLAIM_SIGNER_ROLE"], Roles(roles["claimSigner"], "collectible"));
        Assert.Equal(["DEFAULT_ADMIN_ROLE", "PAUSER_ROLE"], Roles(view["brandRoles"], "points"));
        Assert.Equal(["DEFAULT_ADMIN_ROLE", "PAUSER_ROLE", "DROP_ADMIN_ROLE"], Roles(view["brandRoles"], "collectible"));
        var again = await f.Api.PostAsync(f.P("/ownership"), f.AdminKey, new { newAdmin = brand.Address });
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("ALREADY_HANDED_OVER", again.Body!["code"]!.GetValue<string>());
        // The replay of the first request answers as it did.
        Assert.Equal(HttpStatusCode.Accepted, (await f.Api.PostAsync(f.P("/ownership"), f.AdminKey, new { newAdmin = brand.Address }, "handover-1")).Status);

        // The service's admin key sends a grant through the real pipeline: the node refuses it.
        var adminKey = roles["admin"]!["address"]!.GetValue<string>();
        var program = await DbAsync(db => db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == f.ProgramId));
        long grantId;
        using (var scope = f.Factory.Services.CreateScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<ChainTxQueue>();
            grantId = (await queue.EnqueueAsync(Loyalty.Chain.Ownership.Roles.GrantTx(program, adminKey,
                new RoleAssignment(ProgramContract.Points, Loyalty.Chain.Ownership.Roles.Minter, adminKey), "test.grant"), CancellationToken.None)).Id;
        }
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await DbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == grantId))).IsTerminal, Wait));
        var grant = await DbAsync(db => db.Set<ChainTx>().AsNoTracking().SingleAsync(t => t.Id == grantId));
        Assert.Equal(ChainTxStatus.Errored, grant.Status);
        Assert.Equal("AccessControlUnauthorizedAccount", grant.ErrorCode);
        Assert.False(await PointsAs(brand).HasRoleQueryAsync(await PointsAs(brand).MinterRoleQueryAsync(), adminKey));

        // Pause after the hand-over is off chain only; the contracts stay as the brand left them.
        var paused = await f.Api.PostAsync(f.P("/pause"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, paused.Status);
        Assert.Equal("Paused", paused.Body!["status"]!.GetValue<string>());
        Assert.Contains("off chain only", paused.Body["statusDetail"]!.GetValue<string>());
        Assert.Empty(paused.Body["pauseTxs"]!.AsArray());
        Assert.False(await PointsAs(brand).PausedQueryAsync());
        // The brand pauses on chain: the service cannot unpause, and says so.
        await PointsAs(brand).PauseRequestAndWaitForReceiptAsync();
        var blocked = await f.Api.PostAsync(f.P("/resume"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.Conflict, blocked.Status);
        Assert.Equal("CONTRACTS_PAUSED_BY_BRAND", blocked.Body!["code"]!.GetValue<string>());
        await PointsAs(brand).UnpauseRequestAndWaitForReceiptAsync();
        var resumed = await f.Api.PostAsync(f.P("/resume"), f.AdminKey, null);
        Assert.Equal("Active", resumed.Body!["status"]!.GetValue<string>());

        // The brand revokes the relayer's MINTER_ROLE: the next batch is refused once, an alert says why, settlement waits.
        var relayer = roles["minter"]!["address"]!.GetValue<string>();
        var minterRole = await PointsAs(brand).MinterRoleQueryAsync();
        await PointsAs(brand).RevokeRoleRequestAndWaitForReceiptAsync(minterRole, relayer);
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "Fixed", points = 7 } });
        var member = "own-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "e1-" + member })).Status);
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var subject = $"program:{f.ProgramId}";
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await DbAsync(db => db.Set<Alert>().AnyAsync(a =>
            a.Code == "MINTER_ROLE_MISSING" && a.Subject == subject && a.ResolvedAt == null)), Wait), "no MINTER_ROLE_MISSING alert");
        var alerts = (await f.Api.GetAsync("/v1/admin/alerts", f.Factory.AdminKey)).Body!.AsArray();
        Assert.Contains(alerts, a => a!["code"]!.GetValue<string>() == "MINTER_ROLE_MISSING" && a["message"]!.GetValue<string>().Contains(relayer));
        var reference = f.ProgramId.ToString();
        var mintsRefused = await DbAsync(db => db.Set<ChainTx>().CountAsync(t => t.Purpose == "settlement.mint" && t.Reference == reference));
        // Settlement runs every second here: several passes later, no new batch was cut just to be refused again.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(mintsRefused, await DbAsync(db => db.Set<ChainTx>().CountAsync(t => t.Purpose == "settlement.mint" && t.Reference == reference)));
        Assert.Equal("7", (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>());

        // The brand grants it back: settlement resumes by itself and the points land once.
        await PointsAs(brand).GrantRoleRequestAndWaitForReceiptAsync(minterRole, relayer);
        var wallet = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["walletAddress"]!.GetValue<string>();
        // The next settlement run reads the role back, resolves the alert and mints (this fixture's accruals are not due to
        // the job for 10 minutes, so the test runs settlement itself).
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
            return await PointsAs(brand).BalanceOfQueryAsync(wallet) == 7;
        }, Wait), "the points were not minted after the grant");
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => !await DbAsync(db => db.Set<Alert>().AnyAsync(a =>
            a.Code == "MINTER_ROLE_MISSING" && a.Subject == subject && a.ResolvedAt == null)), Wait), "the alert was not resolved");

        // Rotation after the hand-over: the answer names the new key and what the brand must grant it.
        var rotate = await f.Api.PostAsync(f.P("/minter/rotate"), f.AdminKey, null, "rotate-after-handover");
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        Assert.Equal("awaitingbrand", rotate.Body!["status"]!.GetValue<string>());
        var fresh = rotate.Body["newMinter"]!.GetValue<string>();
        Assert.NotEqual(relayer, fresh);
        var must = rotate.Body["brandMustGrant"]!.AsArray();
        Assert.Equal(3, must.Count);
        Assert.All(must, m => Assert.Equal(fresh, m!["account"]!.GetValue<string>()));
        Assert.Equal("ROTATION_IN_PROGRESS", (await f.Api.PostAsync(f.P("/minter/rotate"), f.AdminKey, null)).Body!["code"]!.GetValue<string>());
        await PointsAs(brand).GrantRoleRequestAndWaitForReceiptAsync(minterRole, fresh);
        await CollectibleAs(brand).GrantRoleRequestAndWaitForReceiptAsync(await CollectibleAs(brand).MinterRoleQueryAsync(), fresh);
        await CollectibleAs(brand).GrantRoleRequestAndWaitForReceiptAsync(await CollectibleAs(brand).DropAdminRoleQueryAsync(), fresh);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await OwnershipAsync())["rotation"]!["status"]!.GetValue<string>() == "completed", Wait),
            "the rotation did not complete: " + (await OwnershipAsync()).ToJsonString());
        var done = await OwnershipAsync();
        Assert.Equal(fresh, done["serviceRoles"]!["minter"]!["address"]!.GetValue<string>());
        Assert.Contains("must revoke", done["rotation"]!["detail"]!.GetValue<string>());
    }
}
