using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Counts the eth_calls the API makes: balanceOf calls, and calls without a "to" (BalanceReader's creation code).</summary>
public sealed class CallCountingRpcProxy(string targetUrl) : JsonRpcProxy(targetUrl, TimeSpan.FromSeconds(30))
{
    private int _balanceOf, _readers;
    public (int BalanceOf, int Readers) Counts => (Volatile.Read(ref _balanceOf), Volatile.Read(ref _readers));

    protected override Task<string?> InterceptAsync(string body)
    {
        if (body.Contains("\"eth_call\"", StringComparison.Ordinal))
        {
            if (body.Contains("\"0x70a08231", StringComparison.Ordinal)) Interlocked.Increment(ref _balanceOf); // balanceOf(address) selector
            if (!body.Contains("\"to\"", StringComparison.Ordinal)) Interlocked.Increment(ref _readers);
        }
        return Task.FromResult<string?>(null);
    }
}

/// <summary>Holds the confirmer between reading a receipt and recording it (the window where the chain is ahead of the ledger).</summary>
public sealed class HoldAfterReceipt : IPipelineFaults
{
    private volatile bool _armed;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _release = new(true);

    /// <summary>The next receipt read is held; the task completes once one is.</summary>
    public Task Arm()
    {
        _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _release.Reset();
        _armed = true;
        return _held.Task;
    }

    public void Release()
    {
        _armed = false;
        _release.Set();
    }

    public void At(FaultPoint point, long chainTxId)
    {
        if (point != FaultPoint.AfterReceiptBeforeRecord || !_armed) return;
        _held.TrySetResult();
        _release.Wait(TimeSpan.FromSeconds(60));
    }
}

/// <summary>The jobs fixture with the reconciler reading 2 balances per eth_call, its RPC through a counting proxy.</summary>
public sealed class ReconcilerChunkFixture : JobsProgramFixture, IAsyncLifetime
{
    public CallCountingRpcProxy Proxy { get; private set; } = null!;
    public HoldAfterReceipt Hold { get; } = new();

    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<IPipelineFaults>(Hold);

    protected override IReadOnlyDictionary<string, string>? Settings
    {
        get
        {
            Proxy ??= new CallCountingRpcProxy(Chain.Chain.Node.RpcUrl);
            return new Dictionary<string, string>(base.Settings!) { ["Settlement:ReconcileChunkSize"] = "2", ["Chain:RpcUrl"] = Proxy.Url };
        }
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Proxy is not null) await Proxy.DisposeAsync();
    }
}

public sealed class ReconcilerChunkTests(ReconcilerChunkFixture f) : IClassFixture<ReconcilerChunkFixture>
{
    [Fact]
    public async Task Reconciliation_ReadsCustodialBalancesOneCallPerChunk_AndNamesEachDriftingMemberWithItsOwnChainBalance()
    {
        string[] ids = ["rc-a", "rc-b", "rc-c", "rc-d", "rc-e"];
        for (var i = 0; i < ids.Length; i++) await f.EarnAsync(ids[i], 3 + i);
        for (var i = 0; i < ids.Length; i++) Assert.True(await f.SettledAsync(ids[i], 3 + i, TimeSpan.FromSeconds(60)), $"{ids[i]} did not settle");

        var before = f.Proxy.Counts;
        var clean = (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!;
        var after = f.Proxy.Counts;
        Assert.True(clean["reconciled"]!.GetValue<bool>(), clean.ToJsonString());
        // These five, and the other test's member when it ran first: every custodial member at 2 a call
        // (5 or 6: 3 reads), and no balanceOf of its own.
        var members = await f.WithDbAsync(db => db.Set<Member>().CountAsync(m => m.ProgramId == f.ProgramId));
        Assert.InRange(members, 5, 6);
        Assert.Equal(members, clean["membersChecked"]!.GetValue<int>());
        Assert.Equal(0, after.BalanceOf - before.BalanceOf);
        Assert.Equal((members + 1) / 2, after.Readers - before.Readers);

        async Task SetOnChainAsync(string member, long value) => await f.WithDbAsync(db =>
            (from b in db.Set<MemberBalance>() join m in db.Set<Member>() on b.MemberId equals m.Id
             where m.ProgramId == f.ProgramId && m.ExternalId == member select b).ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, value)));
        await SetOnChainAsync("rc-c", 100);
        await SetOnChainAsync("rc-e", 0);
        try
        {
            var report = (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!;
            Assert.False(report["reconciled"]!.GetValue<bool>());
            Assert.Equal(2, report["driftCount"]!.GetValue<int>());
            var drifts = report["drifts"]!.AsArray().ToDictionary(d => d!["memberId"]!.GetValue<string>(),
                d => (d!["ledger"]!.GetValue<string>(), d["chain"]!.GetValue<string>()));
            Assert.Equal(("100", "5"), drifts["rc-c"]);
            Assert.Equal(("0", "7"), drifts["rc-e"]);
        }
        finally
        {
            await SetOnChainAsync("rc-c", 5);
            await SetOnChainAsync("rc-e", 7);
        }
        Assert.True((await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!["reconciled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ABatchTheChainMinedBeforeTheConfirmerRecordedIt_IsCountedAtItsBlock_NotReportedAsDrift()
    {
        // A mint the chain has and the ledger has not applied yet.
        var mined = f.Hold.Arm();
        try
        {
            await f.EarnAsync("rc-flight", 20);
            await mined.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.False(await f.SettledAsync("rc-flight", 20, TimeSpan.Zero));
            var report = (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!;
            Assert.True(report["reconciled"]!.GetValue<bool>(), report.ToJsonString());
        }
        finally
        {
            f.Hold.Release();
        }
        Assert.True(await f.SettledAsync("rc-flight", 20, TimeSpan.FromSeconds(60)), "rc-flight did not settle");

        // A burn the chain has and the ledger has not applied yet.
        var reward = (await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = "in-flight coupon", cost = "5" })).Body!["id"]!.GetValue<long>();
        var burned = f.Hold.Arm();
        try
        {
            var redeemed = await f.Api.PostAsync(f.P("/members/rc-flight/redemptions"), f.AdminKey, new { rewardId = reward });
            Assert.True(redeemed.Status == System.Net.HttpStatusCode.Created, redeemed.Body?.ToJsonString());
            await burned.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.False(await f.SettledAsync("rc-flight", 15, TimeSpan.Zero));
            var report = (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!;
            Assert.True(report["reconciled"]!.GetValue<bool>(), report.ToJsonString());
        }
        finally
        {
            f.Hold.Release();
        }
        Assert.True(await f.SettledAsync("rc-flight", 15, TimeSpan.FromSeconds(60)), "the burn was not applied");
        var after = (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!;
        Assert.True(after["reconciled"]!.GetValue<bool>(), after.ToJsonString());
    }
}
