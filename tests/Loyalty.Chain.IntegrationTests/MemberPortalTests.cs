using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Settlement;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The host's clock, moved forward by a test and optionally held still for a moment, so that several events share one
/// instant (their pending points then become available at the same instant).
/// </summary>
public sealed class HoldableTime : TimeProvider
{
    private long _offsetTicks;
    private DateTimeOffset? _held;

    public override DateTimeOffset GetUtcNow() => _held ?? base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>Holds the clock while <paramref name="work"/> runs; afterwards it runs on from where it was.</summary>
    public async Task HoldAsync(Func<Task> work)
    {
        _held = GetUtcNow();
        try { await work(); }
        finally { _held = null; }
    }
}

/// <summary>A program with a one-hour return window, on a real node and SQLite file, whose host clock a test can move.</summary>
public sealed class MemberPortalFixture : ProgramFixture
{
    public HoldableTime Time { get; } = new();
    protected override long PendingPeriodSeconds => 3600;
    protected override Action<IServiceCollection>? TestServices => s => s.AddSingleton<TimeProvider>(Time);
}

/// <summary>What the member portal reads (issue 15): pending points with the instant each becomes available.</summary>
public sealed class MemberPortalTests(MemberPortalFixture f) : IClassFixture<MemberPortalFixture>
{
    private async Task<string> EnrolAsync(string? tier = null)
    {
        var id = "mp-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier })).Status);
        return id;
    }

    private async Task EnsureRulesAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase")) return;
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/rules"), f.AdminKey,
            new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } })).Status);
    }

    /// <summary>A purchase of <paramref name="euros"/> (1 point per euro); returns when its points become available.</summary>
    private async Task<DateTime> BuyAsync(string member, int euros, string orderId)
    {
        var e = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "purchase", memberId = member, eventId = orderId, amount = $"{euros}.00" });
        Assert.True(e.Status == HttpStatusCode.Created, $"{e.Status} {e.Body}");
        Assert.Equal("pending", e.Body!["status"]!.GetValue<string>());
        return e.Body!["availableAt"]!.GetValue<DateTime>().ToUniversalTime();
    }

    private async Task<JsonNode> MemberAsync(string member, string? key = null) => (await f.Api.GetAsync(f.P($"/members/{member}"), key ?? f.AdminKey)).Body!;

    private static List<(string Amount, DateTime AvailableAt)> Lots(JsonNode member) =>
        member["pendingLots"]!.AsArray().Select(l => (l!["amount"]!.GetValue<string>(), l["availableAt"]!.GetValue<DateTime>().ToUniversalTime())).ToList();

    private async Task MatureAsync()
    {
        using var scope = f.Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<MaturationService>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task PendingLots_GroupThePendingPointsByTheInstantTheyBecomeAvailable_NetOfReturns_AndLeaveWhenTheyMature()
    {
        await EnsureRulesAsync();
        var m = await EnrolAsync();
        Assert.Empty(Lots(await MemberAsync(m)));

        var o1 = "o1-" + m;
        DateTime first = default, second = default;
        await f.Time.HoldAsync(async () =>
        {
            first = await BuyAsync(m, 30, o1);
            second = await BuyAsync(m, 12, "o2-" + m);
        });
        Assert.Equal(first, second); // one instant: one line
        f.Time.Advance(TimeSpan.FromMinutes(20));
        var later = await BuyAsync(m, 20, "o3-" + m);
        Assert.Equal(first.AddMinutes(20), later, TimeSpan.FromSeconds(30));

        // A partial return in the window claws back from its own purchase's lot.
        var ret = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "r1-" + m, orderId = o1, amount = "10.00" });
        Assert.True(ret.Status == HttpStatusCode.Created, $"{ret.Status} {ret.Body}");

        var view = await MemberAsync(m);
        Assert.Equal(new List<(string, DateTime)> { ("32", first), ("20", later) }, Lots(view));
        Assert.Equal("52", view["balance"]!["pending"]!.GetValue<string>()); // the lots add up to the pending balance
        Assert.EndsWith("Z", view["pendingLots"]![0]!["availableAt"]!.GetValue<string>()); // an instant, in UTC

        // The member's own token reads the same lines.
        var token = (await f.Api.PostAsync(f.P($"/members/{m}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Get, f.P($"/members/{m}"));
        request.Headers.Authorization = new("Bearer", token);
        var own = JsonNode.Parse(await (await f.Api.Http.SendAsync(request)).Content.ReadAsStringAsync())!;
        Assert.Equal(Lots(view), Lots(own));

        // Past the first window the first lot matures and leaves; the later one stays.
        f.Time.Advance(TimeSpan.FromMinutes(45));
        await MatureAsync();
        view = await MemberAsync(m);
        Assert.Equal(new List<(string, DateTime)> { ("20", later) }, Lots(view));
        Assert.Equal(("20", "32"), (view["balance"]!["pending"]!.GetValue<string>(), view["balance"]!["available"]!.GetValue<string>()));

        // A full return of the later purchase leaves nothing pending.
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "return", memberId = m, eventId = "r3-" + m, orderId = "o3-" + m });
        Assert.Empty(Lots(await MemberAsync(m)));
    }
}
