using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Nethereum.Contracts;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Drops, airdrops, supply and badges through the library on a real node and real SQLite files (no HTTP).</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class CollectibleServiceTests(CollectibleFixture f) : IClassFixture<CollectibleFixture>
{
    private LoyaltyCollectibleService Collectible => f.Pipeline.Chain.Collectible;

    private static CreateDropRequest Drop(string name, long maxSupply, DropAudience audience, bool soulbound = false, bool multiple = false) =>
        new(name, name + " drop", "https://example.com/" + name + ".png", [new DropAttribute("edition", "test")], maxSupply, soulbound, null, null,
            multiple, audience);

    [Fact]
    public async Task Airdrop_CrashedAfterSigningAndBetweenChunks_ResumesAndMintsEachMemberExactlyOnce()
    {
        const int members = 200, chunk = 50;
        var db = f.Pipeline.NewDatabase();
        var small = new Dictionary<string, string?> { ["Collectibles:MaxBatchSize"] = chunk.ToString(), ["Collectibles:MaxBatchesPerPass"] = "2" };
        long dropId;
        await using (var setup = await f.StartAsync(db, settings: small))
        {
            var program = await setup.ProgramAsync(f);
            await setup.MembersAsync(program.Id, members, "crash", tier: "crash");
            dropId = (await setup.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id,
                Drop("crash", 1000, new DropAudience { Kind = DropAudienceKind.Rule, Tiers = ["crash"] }), default))).Id;
            await setup.PublishedAsync(program, dropId);
            var plan = await setup.WithAsync<DropGrants, AirdropResult>(g => g.AirdropAsync(program.Id, dropId, null, default));
            Assert.Equal(members, plan.Added);
        }

        // First instance: cuts two chunks (the pass limit), signs the first, and dies before broadcasting it.
        var crash = new CrashAt(FaultPoint.AfterRecordBeforeBroadcast);
        await using (var first = await f.StartAsync(db, crash, small))
        {
            Assert.Equal(2, await first.WithAsync<DropProcessor, int>(p => p.CutBatchesAsync(default)));
            await Assert.ThrowsAsync<SimulatedCrash>(() => first.Runner.SubmitDueAsync(default));
            Assert.True(crash.Fired);
            Assert.Equal(members - 2 * chunk, await first.DbAsync(d => d.Set<DropMint>().CountAsync(m => m.DropId == dropId && m.Status == DropMintStatus.Queued)));
        }

        // Restart: the signed chunk is broadcast as recorded, the other is sent, the rest is cut; nothing twice.
        await using var second = await f.StartAsync(db, settings: small);
        await second.DriveAsync(d => d.Set<DropMint>().AllAsync(m => m.DropId != dropId || m.Status == DropMintStatus.Minted));

        var mints = await second.DbAsync(d => d.Set<DropMint>().AsNoTracking().Where(m => m.DropId == dropId).ToListAsync());
        Assert.Equal(members, mints.Count);
        Assert.Equal(members, mints.Select(m => m.TokenId).Distinct().Count());
        var txs = await second.DbAsync(d => d.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == DropProcessor.MintPurpose && t.Reference == dropId.ToString()).ToListAsync());
        Assert.Equal(members / chunk, txs.Count);
        Assert.All(txs, t => Assert.Equal((ChainTxStatus.Final, ChainTxOutcome.Succeeded), (t.Status, t.Outcome!.Value)));
        var onChainDropId = (await second.DbAsync(d => d.Set<Drop>().SingleAsync(x => x.Id == dropId))).OnChainDropId!.Value;
        Assert.Equal((ulong)members, (await Collectible.GetDropQueryAsync(onChainDropId)).Minted);
        await Parallel.ForEachAsync(mints, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (m, _) =>
        {
            Assert.Equal(m.Address, (await Collectible.OwnerOfQueryAsync(m.TokenId!.Value)).ToLowerInvariant());
            Assert.Equal(BigInteger.One, await Collectible.BalanceOfQueryAsync(m.Address));
        });
    }

    [Fact]
    public async Task MaxSupply_OfFiveForAnAudienceOfEight_MintsFive_ReportsThreeNotMinted_WithoutAnyRevert()
    {
        await using var h = await f.StartAsync(f.Pipeline.NewDatabase());
        var program = await h.ProgramAsync(f);
        var members = await h.MembersAsync(program.Id, 8, "supply");
        var drop = await h.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id, Drop("five", 5, new DropAudience()), default));
        await h.PublishedAsync(program, drop.Id);

        var plan = await h.WithAsync<DropGrants, AirdropResult>(g => g.AirdropAsync(program.Id, drop.Id, members.Select(m => m.Member.ExternalId).ToList(), default));
        Assert.Equal(8, plan.Planned);
        await h.DriveAsync(db => db.Set<DropMint>().AllAsync(m => m.DropId != drop.Id || m.Status == DropMintStatus.Minted || m.Status == DropMintStatus.Failed));

        var details = await h.WithAsync<DropService, DropDetails>(s => s.DetailsAsync(program.Id, drop.Id, default));
        Assert.Equal((8, 5, 3), (details.Planned, details.Minted, details.Failed));
        Assert.All(details.NotMinted, n => Assert.Equal("SOLD_OUT", n.Code));
        Assert.Equal(nameof(DropStatus.SoldOut), details.Status);
        var mintTx = Assert.Single(details.Transactions, t => t.Purpose == DropProcessor.MintPurpose);
        Assert.Equal((5, "Final", "Succeeded"), (mintTx.Recipients, mintTx.Status, mintTx.Outcome));
        Assert.Equal(5UL, (await Collectible.GetDropQueryAsync(drop.OnChainDropId ?? (await h.DbAsync(d => d.Set<Drop>().SingleAsync(x => x.Id == drop.Id))).OnChainDropId!.Value)).Minted);
        Assert.False(await h.DbAsync(d => d.Set<ChainTx>().AnyAsync(t => t.Status == ChainTxStatus.Errored || t.Outcome == ChainTxOutcome.Reverted)));

        var refused = await Assert.ThrowsAsync<LoyaltyException>(() =>
            h.WithAsync<DropGrants, long>(g => g.GrantAsync(program.Id, drop.Id, members[0].Member.Id, "late reward", default)));
        Assert.Equal("DROP_SOLD_OUT", refused.Code);
    }

    [Fact]
    public async Task Badge_IsAwardedByRuleOnTheThirdPurchase_Once_AndTheSoulboundTokenCannotBeTransferred()
    {
        await using var h = await f.StartAsync(f.Pipeline.NewDatabase());
        var program = await h.ProgramAsync(f);
        var (member, key) = (await h.MembersAsync(program.Id, 1, "badge")).Single();
        var drop = await h.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id, Drop("regular", 100, new DropAudience(), soulbound: true), default));
        drop = await h.PublishedAsync(program, drop.Id);
        await h.DbAsync(async db =>
        {
            db.Add(new BadgeRule { ProgramId = program.Id, DropId = drop.Id, Name = "3rd purchase", Trigger = "purchase", Kind = BadgeKind.NthEvent, Count = 3 });
            return await db.SaveChangesAsync();
        });

        for (var i = 1; i <= 4; i++)
        {
            var purchase = new EventRequest
            {
                Type = "purchase", MemberId = member.ExternalId, EventId = $"order-{i}", Amount = JsonDocument.Parse("\"12.50\"").RootElement,
            };
            await h.WithAsync<EventIntakeService, IntakeResponse>(s => s.AcceptAsync(program, purchase, null, default));
            // The intake hook (BadgeAwarder.OnEventAcceptedAsync in intake's transaction). Called here as well, so the test
            // holds whether or not intake is wired yet: awarding again is a no-op either way.
            await h.WithAsync<IServiceProvider, int>(async sp =>
            {
                var db = (LoyaltyDbContext)sp.GetService(typeof(LoyaltyDbContext))!;
                await using var tx = await db.Database.BeginTransactionAsync();
                var n = await ((BadgeAwarder)sp.GetService(typeof(BadgeAwarder))!).OnEventAcceptedAsync(program, member.Id, "purchase", default);
                await tx.CommitAsync();
                return n;
            });
            Assert.Equal(i >= 3 ? 1 : 0, await h.DbAsync(db => db.Set<DropMint>().CountAsync(m => m.DropId == drop.Id && m.MemberId == member.Id)));
        }

        await h.DriveAsync(db => db.Set<DropMint>().AnyAsync(m => m.DropId == drop.Id && m.Status == DropMintStatus.Minted));
        var badge = await h.DbAsync(db => db.Set<DropMint>().SingleAsync(m => m.DropId == drop.Id));
        Assert.Equal(DropGrants.BadgeSource, badge.Source);
        var tokenId = badge.TokenId!.Value;
        Assert.Equal(new BigInteger(drop.OnChainDropId!.Value), tokenId >> 64);
        Assert.Equal(member.WalletAddress, (await Collectible.OwnerOfQueryAsync(tokenId)).ToLowerInvariant());
        Assert.True(await Collectible.LockedQueryAsync(tokenId));

        // The holder itself (with gas) cannot move it: ERC-5192 soulbound, decoded as the typed custom error.
        await f.Pipeline.RpcAsync("hardhat_setBalance", $"[\"{member.WalletAddress}\", \"0x8ac7230489e80000\"]");
        var holder = new LoyaltyCollectibleService(f.Pipeline.Chain.Web3For(new Account(key, HardhatNode.ChainId)), f.Contract);
        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() =>
            holder.TransferFromRequestAndWaitForReceiptAsync(member.WalletAddress, PipelineFixture.NewAddress(), tokenId));
        Assert.True(ex.IsCustomErrorFor<LoyaltyCollectibleSoulboundError>());
        Assert.Equal(tokenId, ex.DecodeError<LoyaltyCollectibleSoulboundError>().TokenId);
    }

    [Fact]
    public async Task Grant_IsIdempotentPerMember_UnlessTheDropAllowsSeveral()
    {
        await using var h = await f.StartAsync(f.Pipeline.NewDatabase());
        var program = await h.ProgramAsync(f);
        var member = (await h.MembersAsync(program.Id, 1, "grant")).Single().Member;
        var single = await h.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id, Drop("single", 10, new DropAudience()), default));
        var multi = await h.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id, Drop("multi", 10, new DropAudience(), multiple: true), default));

        async Task<long> GrantAsync(long dropId) => await h.WithAsync<IServiceProvider, long>(async sp =>
        {
            // As the catalog calls it: inside its own database transaction.
            var db = (LoyaltyDbContext)sp.GetService(typeof(LoyaltyDbContext))!;
            await using var tx = await db.Database.BeginTransactionAsync();
            var id = await ((DropGrants)sp.GetService(typeof(DropGrants))!).GrantAsync(program.Id, dropId, member.Id, "redemption 1", default);
            await tx.CommitAsync();
            return id;
        });

        Assert.Equal(await GrantAsync(single.Id), await GrantAsync(single.Id));
        Assert.NotEqual(await GrantAsync(multi.Id), await GrantAsync(multi.Id));
        Assert.Equal([0, 1], await h.DbAsync(db => db.Set<DropMint>().Where(m => m.DropId == multi.Id).OrderBy(m => m.Sequence).Select(m => m.Sequence).ToListAsync()));
        var unknown = await Assert.ThrowsAsync<LoyaltyException>(() => GrantAsync(single.Id + 1000));
        Assert.Equal("UNKNOWN_DROP", unknown.Code);
    }

    [Fact]
    public async Task RuleAudience_MatchesTierAttributeAndPointsEarnedInThePeriod_AndAirdropsOnlyThose()
    {
        await using var h = await f.StartAsync(f.Pipeline.NewDatabase());
        var program = await h.ProgramAsync(f);
        var m = (await h.MembersAsync(program.Id, 5, "aud", tier: "Gold")).Select(x => x.Member).ToList();
        await h.DbAsync(async db =>
        {
            await db.Set<Member>().Where(x => x.Id == m[2].Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.Tier, "silver"));
            foreach (var member in m.Where((_, i) => i != 1))
                await db.Set<MemberProfile>().Where(p => p.MemberId == member.Id)
                    .ExecuteUpdateAsync(u => u.SetProperty(p => p.Attributes, new Dictionary<string, string> { ["city"] = "Paris" }));
            return 0;
        });
        // Earned (net of a clawback): m0 100, m1 100, m2 100, m3 100 - 60 = 40, m4 100 but before the period.
        await h.WithAsync<IServiceProvider, int>(async sp =>
        {
            var db = (LoyaltyDbContext)sp.GetService(typeof(LoyaltyDbContext))!;
            var ledger = (LedgerWriter)sp.GetService(typeof(LedgerWriter))!;
            await using var tx = await db.Database.BeginTransactionAsync();
            foreach (var member in m)
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Earn, LedgerAccount.Issuance, LedgerAccount.Pending, 100, new(), default);
            await ledger.PostAsync(program.Id, m[3].Id, EntryKind.Clawback, LedgerAccount.Pending, LedgerAccount.Issuance, 60, new(), default);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
            await db.Set<LedgerEntry>().Where(e => e.MemberId == m[4].Id).ExecuteUpdateAsync(u => u.SetProperty(e => e.CreatedAt, DateTime.UtcNow.AddDays(-40)));
            return 0;
        });
        var audience = new DropAudience
        {
            Kind = DropAudienceKind.Rule, Tiers = ["gold"], Attributes = new() { ["city"] = "paris" }, MinPointsEarned = 50,
            PointsFrom = DateTime.UtcNow.AddDays(-30),
        };
        var drop = await h.WithAsync<DropService, Drop>(s => s.CreateAsync(program.Id, Drop("fans", 10, audience), default));

        var plan = await h.WithAsync<DropGrants, AirdropResult>(g => g.AirdropAsync(program.Id, drop.Id, null, default));

        Assert.Equal(1, plan.Added);
        Assert.Equal([m[0].Id], await h.DbAsync(db => db.Set<DropMint>().Where(x => x.DropId == drop.Id).Select(x => x.MemberId).ToListAsync()));
        var invalid = await Assert.ThrowsAsync<LoyaltyException>(() => h.WithAsync<DropService, Drop>(s =>
            s.CreateAsync(program.Id, Drop("nobody", 10, new DropAudience { Kind = DropAudienceKind.Rule }), default)));
        Assert.Equal("INVALID_DROP", invalid.Code);
    }
}
