using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Fast thresholds: retries every 0.2-1 s for 6 s, an endpoint with 2 dead deliveries in a row is disabled.</summary>
public sealed class WebhookFixture : JobsProgramFixture, IAsyncLifetime
{
    public static readonly Dictionary<string, string> WebhookSettings = new()
    {
        ["Webhooks:AllowLoopbackHttp"] = "true",
        ["Webhooks:RetryBase"] = "00:00:00.200",
        ["Webhooks:RetryCap"] = "00:00:01",
        ["Webhooks:RetryFor"] = "00:00:06",
        ["Webhooks:DisableAfterConsecutiveDead"] = "2",
        ["Webhooks:DisableAfterFailingFor"] = "01:00:00",
        ["Webhooks:PreviousSecretOverlap"] = "00:10:00",
        ["Jobs:WebhooksCron"] = "* * * * * *",
    };

    protected override IReadOnlyDictionary<string, string>? Settings =>
        new Dictionary<string, string>(base.Settings!.Concat(WebhookSettings));

    public WebhookReceiver Receiver { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await Receiver.DisposeAsync();
        await base.DisposeAsync();
    }

    public async Task<(long Id, string Secret)> CreateEndpointAsync(string sink, params string[] types)
    {
        var created = await Api.PostAsync(P("/webhooks"), AdminKey, new { url = Receiver.Url(sink), eventTypes = types });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var secret = created.Body!["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        await Receiver.ConfigureAsync(sink, [secret]);
        return (created.Body["id"]!.GetValue<long>(), secret);
    }

    /// <summary>The program's outbox order (the order a member's events must arrive in).</summary>
    public Task<Dictionary<string, long>> OutboxOrderAsync() =>
        WithDbAsync(db => db.Set<WebhookEvent>().AsNoTracking().Where(e => e.ProgramId == ProgramId).ToDictionaryAsync(e => e.MessageId, e => e.Id));
}

public sealed class WebhookTests(WebhookFixture f) : IClassFixture<WebhookFixture>
{
    private static void AssertOrderedPerMember(List<JsonNode> receipts, Dictionary<string, long> order)
    {
        foreach (var member in receipts.GroupBy(r => r["memberId"]?.GetValue<string>()).Where(g => g.Key is not null))
        {
            var seq = member.Select(r => order[r["id"]!.GetValue<string>()]).ToList();
            // A message may come again (at-least-once), but never before one that was enqueued earlier is done.
            for (var i = 1; i < seq.Count; i++) Assert.True(seq[i] >= seq[i - 1] || seq.Take(i).Contains(seq[i]), $"member {member.Key}: {string.Join(",", seq)}");
        }
    }

    /// <summary>
    /// A program with a backlog on a slow receiver does not hold up another program's delivery: a pass visits every
    /// program with work each round. Before, a pass drained one program for up to its whole budget (5 s) before the next,
    /// so the other program's message came after the backlog (or a pass later).
    /// </summary>
    [Fact]
    public async Task AProgramsBacklogOnASlowReceiver_DoesNotHoldUpAnotherProgramsDelivery()
    {
        var (_, secretA) = await f.CreateEndpointAsync("fair-a", "points.earned");
        await f.Receiver.ConfigureAsync("fair-a", [secretA], delayMs: 400);
        var other = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "Other shop", pointName = "Other", pointSymbol = "OTH", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, other.Status);
        var otherId = other.Body!["program"]!["id"]!.GetValue<long>();
        var otherKey = other.Body["adminKey"]!.GetValue<string>();
        Assert.True(otherId > f.ProgramId, "the busy program is visited first (lower id)");
        string O(string path) => $"/v1/programs/{otherId}{path}";
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(O(""), otherKey)).Body?["status"]?.GetValue<string>() == "Active", TimeSpan.FromSeconds(90)), "other program not active");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(O("/rules"), otherKey, new
        {
            name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 },
        })).Status);
        var createdB = await f.Api.PostAsync(O("/webhooks"), otherKey, new { url = f.Receiver.Url("fair-b"), eventTypes = new[] { "points.earned" } });
        Assert.Equal(HttpStatusCode.Created, createdB.Status);
        await f.Receiver.ConfigureAsync("fair-b", [createdB.Body!["secret"]!.GetValue<string>()]);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(O("/members"), otherKey, new { externalId = "fair-b-1" })).Status);

        // One member of the busy program with 24 messages in a row: 24 rounds of at least 400 ms, twice one pass's budget.
        const int backlog = 24;
        await f.EarnAsync("fair-a-1", 10);
        await Task.WhenAll(Enumerable.Range(1, backlog - 1).Select(i => f.EarnAsync("fair-a-1", 10 + i)));
        var sent = await f.Api.PostAsync(O("/events"), otherKey, new { type = "purchase", memberId = "fair-b-1", eventId = "fair-b-order", amount = "5.00" }, "fair-b-key");
        Assert.Equal(HttpStatusCode.Created, sent.Status);
        var busyBefore = (await f.Receiver.ReceivedAsync("fair-a")).Count;

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("fair-b")).Count >= 1, TimeSpan.FromSeconds(60)),
            "the other program's message never arrived");
        var otherArrival = (await f.Receiver.AcceptedAsync("fair-b"))[0]["seq"]!.GetValue<int>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("fair-a")).Count >= backlog, TimeSpan.FromSeconds(90)),
            "the busy program's backlog was not delivered");
        var busy = await f.Receiver.ReceivedAsync("fair-a");
        var busyInBetween = busy.Count(r => r["seq"]!.GetValue<int>() < otherArrival) - busyBefore;
        // Round-robin: the other program is served in the next round or two, while the backlog still has most of its 24.
        Assert.True(busyInBetween <= 4,
            $"the other program's message waited for {busyInBetween} of the busy program's deliveries ({busyBefore} had arrived when it was sent)");
        Assert.True(backlog - busyBefore >= 12, $"the backlog had half drained before the other program's event ({busyBefore} of {backlog})");
    }

    [Fact]
    public async Task Events_ArriveSignedPerStandardWebhooks_VerifiedByNode_InOrderPerMember()
    {
        var (endpointId, secret) = await f.CreateEndpointAsync("signed", "member.enrolled", "points.earned");
        foreach (var m in new[] { "wh-a1", "wh-a2" })
            for (var i = 1; i <= 3; i++) await f.EarnAsync(m, 10 * i);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("signed")).Count >= 8, TimeSpan.FromSeconds(30)),
            "received: " + string.Join("\n", (await f.Receiver.ReceivedAsync("signed")).Select(x => x.ToJsonString())));
        var got = await f.Receiver.ReceivedAsync("signed");
        Assert.All(got, r => Assert.Equal([0], r["verifiedWith"]!.AsArray().Select(x => x!.GetValue<int>())));
        var accepted = await f.Receiver.AcceptedAsync("signed");
        Assert.Equal(2, accepted.Count(r => r["type"]!.GetValue<string>() == "member.enrolled"));
        var earned = accepted.Where(r => r["type"]!.GetValue<string>() == "points.earned" && r["memberId"]!.GetValue<string>() == "wh-a1").ToList();
        Assert.Equal(["10", "20", "30"], earned.Select(r => JsonNode.Parse(r["body"]!.GetValue<string>())!["data"]!["points"]!.GetValue<string>()));
        Assert.Equal("member.enrolled", accepted.First(r => r["memberId"]!.GetValue<string>() == "wh-a2")["type"]!.GetValue<string>());
        AssertOrderedPerMember(got, await f.OutboxOrderAsync());

        // A delivery is recorded after the receiver answered (at-least-once): the log may lag the receiver by a moment.
        (HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response) log = default;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            log = await f.Api.GetAsync(f.P($"/webhooks/{endpointId}/deliveries?status=delivered"), f.AdminKey);
            return log.Status == HttpStatusCode.OK && log.Body!["items"]!.AsArray().Count >= 8;
        }, TimeSpan.FromSeconds(30)), $"delivered log: {log.Status} {log.Body}");
        Assert.All(log.Body!["items"]!.AsArray(), d => Assert.Equal(204, d!["lastStatusCode"]!.GetValue<int>()));
        // The secret is shown once: never again in a read, never in a log line.
        var read = await f.Api.GetAsync(f.P($"/webhooks/{endpointId}"), f.AdminKey);
        Assert.DoesNotContain(secret, read.Body!.ToJsonString());
        Assert.DoesNotContain(f.Factory.Logs, l => l.Contains(secret[6..], StringComparison.Ordinal));
        var types = await f.Api.GetAsync(f.P("/webhooks/event-types"), f.AdminKey);
        Assert.True(types.Body!.AsArray().Count >= 20);
    }

    [Fact]
    public async Task ReceiverFailingForAWhile_GetsEveryEventOnceItRecovers_InOrderPerMember()
    {
        var (_, secret) = await f.CreateEndpointAsync("flaky", "points.earned");
        await f.Receiver.ConfigureAsync("flaky", [secret], failFirst: 4);
        foreach (var m in new[] { "wh-b1", "wh-b2" })
            for (var i = 1; i <= 3; i++) await f.EarnAsync(m, 100 + i);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("flaky")).Count >= 6, TimeSpan.FromSeconds(40)),
            "received: " + string.Join("\n", (await f.Receiver.ReceivedAsync("flaky")).Select(x => x["id"] + " " + x["status"])));
        var got = await f.Receiver.ReceivedAsync("flaky");
        Assert.Equal(4, got.Count(r => r["status"]!.GetValue<int>() == 500));
        AssertOrderedPerMember(got, await f.OutboxOrderAsync());
        var accepted = await f.Receiver.AcceptedAsync("flaky");
        Assert.Equal(["101", "102", "103"], accepted.Where(r => r["memberId"]!.GetValue<string>() == "wh-b1")
            .Select(r => JsonNode.Parse(r["body"]!.GetValue<string>())!["data"]!["points"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ExpiringSoon_IsSentOncePerMemberAndExpiryDate_HoweverOftenThePassRuns()
    {
        await f.CreateEndpointAsync("expiring", "points.expiring_soon");
        // Points earned now expire in 10 days: inside the 14-day warning window, so nothing expires yet but one warning is due.
        var patch = await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { expiry = new { policy = "fixed", days = 10 } });
        Assert.True(patch.Status == HttpStatusCode.OK, patch.Body?.ToJsonString());
        try
        {
            await f.EarnAsync("wh-exp1", 120);
            await f.EarnAsync("wh-exp1", 30);
            var first = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
            Assert.Equal(HttpStatusCode.OK, first.Status);
            Assert.Equal(1, first.Body!["warned"]!.GetValue<int>());
            Assert.Equal("0", first.Body!["expired"]!.ToString());
            var second = await f.Api.PostAsync(f.P("/expiry/run"), f.AdminKey, null);
            Assert.Equal(0, second.Body!["warned"]!.GetValue<int>());
        }
        finally
        {
            await f.Api.SendAsync(HttpMethod.Patch, f.P(""), f.AdminKey, new { expiry = new { policy = "none" } });
        }

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("expiring")).Count >= 1, TimeSpan.FromSeconds(30)),
            "received: " + string.Join("\n", (await f.Receiver.ReceivedAsync("expiring")).Select(x => x.ToJsonString())));
        await Task.Delay(2000); // a second (duplicate) warning would be delivered by now
        var accepted = await f.Receiver.AcceptedAsync("expiring");
        var warning = Assert.Single(accepted);
        Assert.Equal("points.expiring_soon", warning["type"]!.GetValue<string>());
        var data = JsonNode.Parse(warning["body"]!.GetValue<string>())!["data"]!;
        Assert.Equal("wh-exp1", data["memberId"]!.GetValue<string>());
        Assert.Equal("150", data["points"]!.GetValue<string>());
        var expiresAt = DateTime.Parse(data["expiresAt"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind).ToUniversalTime();
        Assert.InRange(expiresAt, DateTime.UtcNow.AddDays(9), DateTime.UtcNow.AddDays(11));
    }

    [Theory]
    [InlineData("http://example.com/hook", "WEBHOOK_URL_SCHEME_REFUSED")]
    [InlineData("ftp://example.com/hook", "WEBHOOK_URL_SCHEME_REFUSED")]
    [InlineData("https://10.1.2.3/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://192.168.0.10/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://172.16.0.1/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://169.254.169.254/latest/meta-data", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://[fe80::1]/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://[fd00::1]/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://224.0.0.1/hook", "WEBHOOK_URL_ADDRESS_REFUSED")]
    [InlineData("https://user:pw@example.com/hook", "WEBHOOK_URL_INVALID")]
    [InlineData("not a url", "WEBHOOK_URL_INVALID")]
    public async Task UnsafeUrls_AreRefusedWithStableCodes(string url, string code)
    {
        var r = await f.Api.PostAsync(f.P("/webhooks"), f.AdminKey, new { url, eventTypes = new[] { "points.earned" } });
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(code, r.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownEventType_IsRefused()
    {
        var r = await f.Api.PostAsync(f.P("/webhooks"), f.AdminKey, new { url = f.Receiver.Url("x"), eventTypes = new[] { "points.stolen" } });
        Assert.Equal("WEBHOOK_UNKNOWN_EVENT_TYPE", r.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotation_SignsWithBothSecretsDuringTheOverlap()
    {
        var (id, first) = await f.CreateEndpointAsync("rotated", "member.enrolled");
        var rotated = await f.Api.PostAsync(f.P($"/webhooks/{id}/rotate-secret"), f.AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        var second = rotated.Body!["secret"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        Assert.True(rotated.Body["previousSecretValidUntil"]!.GetValue<DateTime>() > DateTime.UtcNow.AddMinutes(5));
        await f.Receiver.ConfigureAsync("rotated", [first, second]);
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "wh-r1" })).Status);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("rotated")).Count >= 1, TimeSpan.FromSeconds(20)));
        var got = (await f.Receiver.AcceptedAsync("rotated")).Single();
        Assert.Equal(2, got["signatures"]!.GetValue<int>());
        Assert.Equal([0, 1], got["verifiedWith"]!.AsArray().Select(x => x!.GetValue<int>()).Order());
    }

    [Fact]
    public async Task SustainedFailure_DisablesTheEndpointAndAlerts_ThenRedeliveryWorks()
    {
        var (id, secret) = await f.CreateEndpointAsync("down", "points.earned");
        await f.Receiver.ConfigureAsync("down", [secret], alwaysFail: true);
        await f.EarnAsync("wh-d1", 7);
        await f.EarnAsync("wh-d1", 8);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/webhooks/{id}"), f.AdminKey)).Body!["enabled"]!.GetValue<bool>() == false, TimeSpan.FromSeconds(40)));
        var endpoint = (await f.Api.GetAsync(f.P($"/webhooks/{id}"), f.AdminKey)).Body!;
        Assert.Equal("SUSTAINED_FAILURE", endpoint["disabledReason"]!.GetValue<string>());
        // The alert is written just after the disabling commit.
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.AlertsAsync(WebhookService.DisabledAlert))
            .Any(a => a.Subject == WebhookService.AlertSubject(f.ProgramId, id) && a.ResolvedAt == null), TimeSpan.FromSeconds(10)));
        var dead = (await f.Api.GetAsync(f.P($"/webhooks/{id}/deliveries?status=dead"), f.AdminKey)).Body!["items"]!.AsArray();
        Assert.Equal(2, dead.Count);
        Assert.All(dead, d => Assert.Equal(500, d!["lastStatusCode"]!.GetValue<int>()));
        Assert.All(dead, d => Assert.True(d!["lastError"]!.GetValue<string>().Length <= 512));

        await f.Receiver.ConfigureAsync("down", [secret]);
        var enabled = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/webhooks/{id}"), f.AdminKey, new { enabled = true });
        Assert.Equal(HttpStatusCode.OK, enabled.Status);
        var deliveryId = dead[^1]!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Accepted, (await f.Api.PostAsync(f.P($"/webhooks/{id}/deliveries/{deliveryId}/redeliver"), f.AdminKey, null)).Status);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => (await f.Receiver.AcceptedAsync("down")).Count == 1, TimeSpan.FromSeconds(20)));
        Assert.Equal(dead[^1]!["messageId"]!.GetValue<string>(), (await f.Receiver.AcceptedAsync("down")).Single()["id"]!.GetValue<string>());
        Assert.DoesNotContain(await f.AlertsAsync(WebhookService.DisabledAlert), a => a.Subject == WebhookService.AlertSubject(f.ProgramId, id) && a.ResolvedAt == null);
    }
}
