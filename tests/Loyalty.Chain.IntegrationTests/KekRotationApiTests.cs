using System.Net;
using System.Security.Cryptography;
using Loyalty.Chain.Custody;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A program whose data folder outlives its host, so the KEK rotation can restart the host twice on it.</summary>
public sealed class KekRotationApiFixture : JobsProgramFixture
{
    public string Kept { get; } = Directory.CreateTempSubdirectory("lc-kek-").FullName;
    protected override string? DataDirectory => Kept;
    public IReadOnlyDictionary<string, string> JobSettings => Settings!;
}

/// <summary>
/// KEK rotation through the HTTP API, the way an operator does it: restart every instance with the new key beside the old
/// one, call <c>POST /v1/admin/custody/rewrap</c> until it is complete (a first call limited to one batch stops part way),
/// then restart with the new key alone. The service then still signs with the same operator key and the same member
/// wallets, and settles points on the real node.
/// </summary>
public sealed class KekRotationApiTests(KekRotationApiFixture f) : IClassFixture<KekRotationApiFixture>
{
    [Fact]
    public async Task RewrapThroughTheApi_StoppedAndResumed_ThenTheNewKeyAloneRunsTheProgram()
    {
        await f.EarnAsync("kek-1", 5);
        await f.EarnAsync("kek-2", 7);
        Assert.True(await f.SettledAsync("kek-2", 7, TimeSpan.FromSeconds(60)), "the first points did not settle");
        var before = await WalletsAsync(f.Factory);
        var operatorBefore = (await f.Api.GetAsync("/v1/admin/operator", f.Factory.AdminKey)).Body!["address"]!.GetValue<string>();

        // Without a new key configured there is nothing to rotate to: a coded 409, nothing changed.
        var none = await f.Api.PostAsync("/v1/admin/custody/rewrap", f.Factory.AdminKey, new { batchSize = 10 });
        Assert.Equal(HttpStatusCode.Conflict, none.Status);
        Assert.Equal(KekRotation.NoRotationCode, none.Body!["code"]!.GetValue<string>());
        var oldKeyId = (await f.Api.GetAsync("/v1/admin/custody/rewrap", f.Factory.AdminKey)).Body!["keyId"]!.GetValue<string>();

        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var (rpcUrl, adminKey, programAdmin) = (f.Chain.Chain.Node.RpcUrl, f.Factory.AdminKey, f.AdminKey);
        await f.Factory.DisposeAsync();
        try
        {
            string newKeyId;
            await using (var rotating = new ApiFactory(rpcUrl, With(("Custody:NewKeyEncryptionKey", newKey)), dataDirectory: f.Kept, adminKey: adminKey))
            {
                var api = new LoyaltyApi(rotating.CreateClient());
                var status = (await api.GetAsync("/v1/admin/custody/rewrap", adminKey)).Body!;
                newKeyId = status["keyId"]!.GetValue<string>();
                Assert.NotEqual(oldKeyId, newKeyId);
                Assert.Equal(oldKeyId, status["previousKeyId"]!.GetValue<string>());
                var total = status["remaining"]!.GetValue<int>();
                Assert.True(total >= 2, "rows under the old key: " + status); // the program seed and the operator key at least
                Assert.False(status["complete"]!.GetValue<bool>());

                // Interrupted: one batch of one row, then the call returns with the rest still under the old key.
                var first = await api.PostAsync("/v1/admin/custody/rewrap", adminKey, new { batchSize = 1, maxBatches = 1 });
                Assert.Equal(HttpStatusCode.OK, first.Status);
                Assert.Equal(1, first.Body!["rewrapped"]!.GetValue<int>());
                Assert.Equal(total - 1, first.Body["status"]!["remaining"]!.GetValue<int>());
                Assert.False(first.Body["status"]!["complete"]!.GetValue<bool>());

                // Resumed: the rest, and the status says the old key may go.
                var rest = await api.PostAsync("/v1/admin/custody/rewrap", adminKey, new { batchSize = 100 });
                Assert.Equal(HttpStatusCode.OK, rest.Status);
                Assert.Equal(total - 1, rest.Body!["rewrapped"]!.GetValue<int>());
                Assert.True(rest.Body["status"]!["complete"]!.GetValue<bool>(), rest.Body.ToJsonString());
                var again = await api.PostAsync("/v1/admin/custody/rewrap", adminKey, new { batchSize = 100 });
                Assert.Equal(0, again.Body!["rewrapped"]!.GetValue<int>());
            }

            // The new key alone, the old key file no longer read (Custody:KeyEncryptionKey wins over the file).
            await using var rotated = new ApiFactory(rpcUrl, With(("Custody:KeyEncryptionKey", newKey)), dataDirectory: f.Kept, adminKey: adminKey);
            var after = new LoyaltyApi(rotated.CreateClient());
            var status2 = (await after.GetAsync("/v1/admin/custody/rewrap", adminKey)).Body!;
            Assert.Equal(newKeyId, status2["keyId"]!.GetValue<string>());
            Assert.Equal(0, status2["unreadable"]!.GetValue<int>());
            Assert.Equal(operatorBefore, (await after.GetAsync("/v1/admin/operator", adminKey)).Body!["address"]!.GetValue<string>());
            Assert.Equal(before, await WalletsAsync(rotated));

            // The unwrapped keys still sign: a new wallet and more points settle on chain with the operator key.
            var sent = await after.PostAsync($"/v1/programs/{f.ProgramId}/events", programAdmin,
                new { type = "purchase", memberId = "kek-1", eventId = "order-kek-1-after", amount = "3.00" }, "k-kek-after");
            Assert.True(sent.Status is HttpStatusCode.Created, sent.Body?.ToJsonString());
            var enrolled = await after.PostAsync($"/v1/programs/{f.ProgramId}/members", programAdmin, new { externalId = "kek-3" });
            Assert.Equal(HttpStatusCode.Created, enrolled.Status);
            Assert.True(await LoyaltyApi.EventuallyAsync(async () => await OnChainAsync(rotated, "kek-1") == 8, TimeSpan.FromSeconds(60)),
                "points earned after the rotation did not settle");
        }
        finally
        {
            try { Directory.Delete(f.Kept, recursive: true); } catch (IOException) { }
        }
    }

    private IReadOnlyDictionary<string, string> With((string Key, string Value) extra) =>
        new Dictionary<string, string>(f.JobSettings) { [extra.Key] = extra.Value };

    private async Task<Dictionary<string, string>> WalletsAsync(ApiFactory factory)
    {
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        return await db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == f.ProgramId)
            .ToDictionaryAsync(m => m.ExternalId!, m => m.WalletAddress);
    }

    private async Task<long> OnChainAsync(ApiFactory factory, string memberId)
    {
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        return await (from m in db.Set<Member>() join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                      where m.ProgramId == f.ProgramId && m.ExternalId == memberId select b.OnChain).SingleAsync();
    }
}
