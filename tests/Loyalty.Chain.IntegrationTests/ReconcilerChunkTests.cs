using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

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

/// <summary>The jobs fixture with the reconciler reading 2 balances per eth_call, its RPC through a counting proxy.</summary>
public sealed class ReconcilerChunkFixture : JobsProgramFixture, IAsyncLifetime
{
    public CallCountingRpcProxy Proxy { get; private set; } = null!;

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
        Assert.Equal(5, clean["membersChecked"]!.GetValue<int>());
        // 5 custodial members at 2 a call: 3 reads, and no balanceOf of its own.
        Assert.Equal(0, after.BalanceOf - before.BalanceOf);
        Assert.Equal(3, after.Readers - before.Readers);

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
}
