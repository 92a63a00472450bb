using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

/// <summary>A program created through the API for one phase, with its earning rules, keys and members.</summary>
public sealed class BenchProgram
{
    private BenchProgram(ApiClient api, long id, string adminKey, string shopKey, string pointsContract)
    {
        Api = api;
        Id = id;
        AdminKey = adminKey;
        ShopKey = shopKey;
        PointsContract = pointsContract;
    }

    public ApiClient Api { get; }
    public long Id { get; }
    public string AdminKey { get; }
    /// <summary>Events and redemptions go in with a shop key, as a point of sale would send them.</summary>
    public string ShopKey { get; }
    public string PointsContract { get; }
    public string P(string path) => $"/v1/programs/{Id}{path}";

    /// <summary>
    /// Creates the program, waits until its contracts are deployed, and adds three earning rules: 1 point per
    /// euro (base), +5 points when a line is in "coffee" (bonus), and a running double-points campaign; then expiry,
    /// tiers, a segment-conditioned rule, two challenges and a referral policy, so intake pays for all of them.
    /// </summary>
    /// <param name="engagement">false: no segment-conditioned rule, no challenges, no referral policy (the engagement phase's "off" side).</param>
    public static async Task<BenchProgram> CreateAsync(ApiClient api, string rootKey, string name, long pendingPeriodSeconds, CancellationToken ct,
        bool engagement = true)
    {
        var created = await api.PostAsync("/v1/programs", rootKey, new
        {
            name, pointName = "Points", pointSymbol = "PTS", decimals = 0, currency = "EUR", pendingPeriodSeconds, timeZone = "UTC",
        }, ct);
        var id = created["program"]!["id"]!.GetValue<long>();
        var adminKey = created["adminKey"]!.GetValue<string>();
        JsonNode program;
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            program = await api.GetAsync($"/v1/programs/{id}", adminKey, ct);
            var status = program["status"]!.GetValue<string>();
            if (status == "Active") break;
            if (status == "Failed") throw new ApiException($"program {id} failed: {program["statusDetail"]}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"program {id} still {status} after 180 s");
            await Task.Delay(250, ct);
        }
        var p = $"/v1/programs/{id}";
        await api.PostAsync(p + "/rules", adminKey, new
        {
            name = "1 point per euro", trigger = "purchase", priority = 10,
            effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100, rounding = "Floor" },
        }, ct);
        await api.PostAsync(p + "/rules", adminKey, new
        {
            name = "coffee bonus", trigger = "purchase", priority = 20, conditions = new { categories = new[] { "coffee" } },
            effect = new { kind = "Fixed", points = 5 },
        }, ct);
        var now = DateTime.UtcNow;
        await api.PostAsync(p + "/rules", adminKey, new
        {
            name = "double points week", trigger = "purchase", priority = 50,
            effect = new { kind = "Multiplier", multiplierNumerator = 2, multiplierDenominator = 1 },
            startsAt = now.AddHours(-1), endsAt = now.AddDays(7),
        }, ct);
        // A program as brands run it (issue 12): points expire 12 months after they mature, and three tiers on points earned
        // in the calendar year, with a multiplier at Gold. Intake then pays for the tier upgrade check of every event.
        var policies = await api.SendAsync(HttpMethod.Patch, p, adminKey, new
        {
            expiry = new { policy = "fixed", months = 12, roundToMonthEnd = true },
            tiers = new
            {
                metric = "points_earned", window = "calendar_year", downgrade = "at_period_end",
                levels = new object[] { new { name = "Bronze", threshold = "0" }, new { name = "Silver", threshold = "500" }, new { name = "Gold", threshold = "2000", multiplierPercent = 125 } },
            },
        }, ct: ct);
        if (!policies.IsSuccess) throw new ApiException($"program {id}: policies refused: {policies.Status} {policies.Text}");
        if (!engagement) return await WithShopKeyAsync(api, id, adminKey, program, ct);
        // Engagement (issue 13) on the intake path: a rule conditioned on a segment ("Gold members who bought coffee in 30
        // days"), whose membership each batch computes for its members; a weekly streak and an ordered journey whose progress
        // each event updates; and an active referral policy, whose open referrals each batch looks up.
        var segment = await api.PostAsync(p + "/segments", adminKey, new
        {
            name = "Gold coffee lovers",
            definition = new { tiers = new[] { "Gold" }, categoriesBought = new { any = new[] { "coffee" }, withinDays = 30 } },
        }, ct);
        await api.PostAsync(p + "/rules", adminKey, new
        {
            name = "gold coffee lovers bonus", trigger = "purchase", priority = 30, conditions = new { segments = new[] { segment["id"]!.GetValue<long>() } },
            effect = new { kind = "Fixed", points = 3 },
        }, ct);
        await api.PostAsync(p + "/challenges", adminKey, new
        {
            name = "twenty coffees a week", repeat = "weekly", startsAt = now.AddDays(-1),
            steps = new[] { new { name = "coffee", eventType = "purchase", conditions = new { categories = new[] { "coffee" } }, count = 20 } },
            reward = new { points = "10" },
        }, ct);
        await api.PostAsync(p + "/challenges", adminKey, new
        {
            name = "bakery journey", ordered = true, startsAt = now.AddDays(-1),
            steps = new object[]
            {
                new { name = "first bakery", eventType = "purchase", conditions = new { categories = new[] { "bakery" } } },
                new { name = "a big basket", eventType = "purchase", conditions = new { minAmount = 2000 } },
                new { name = "bakery again", eventType = "purchase", conditions = new { categories = new[] { "bakery" } }, count = 2, distinctDays = true },
            },
            reward = new { points = "50" },
        }, ct);
        var referrals = await api.SendAsync(HttpMethod.Put, p + "/referrals/policy", adminKey, new
        {
            active = true, referrerReward = new { points = "50" }, refereeReward = new { points = "25" },
        }, ct: ct);
        if (!referrals.IsSuccess) throw new ApiException($"program {id}: referral policy refused: {referrals.Status} {referrals.Text}");
        return await WithShopKeyAsync(api, id, adminKey, program, ct);
    }

    private static async Task<BenchProgram> WithShopKeyAsync(ApiClient api, long id, string adminKey, JsonNode program, CancellationToken ct)
    {
        var p = $"/v1/programs/{id}";
        var shopKey = (await api.PostAsync(p + "/api-keys", adminKey, new { role = "shop", name = "bench shop" }, ct))["key"]!.GetValue<string>();
        return new BenchProgram(api, id, adminKey, shopKey, program["pointsContract"]!.GetValue<string>());
    }

    public static string MemberId(int i) => $"m-{i:D6}";

    /// <summary>
    /// Enrols members m-000000.. through the API (each gets a custodial wallet), retrying a refused enrolment (the
    /// same external id is idempotent); returns the wall time. Retries are reported, since a client had to make them.
    /// </summary>
    public async Task<double> EnrolAsync(int count, int clients, Action<string> log, CancellationToken ct)
    {
        var retried = 0;
        var firstRefusal = "";
        var result = await Load.CountAsync(clients, count, async (_, i, token) =>
        {
            for (var attempt = 1; ; attempt++)
            {
                var r = await Api.SendAsync(HttpMethod.Post, P("/members"), ShopKey, new { externalId = MemberId((int)i) }, ct: token);
                if (r.IsSuccess) return Outcome.Success;
                if (Interlocked.Increment(ref retried) == 1) firstRefusal = Purchases.Describe(r.Status, r.Text);
                if (attempt == 5) return Outcome.Failure($"{r.Status} {ApiClient.Shorten(r.Text)}");
                await Task.Delay(100 * attempt, token);
            }
        }, ct);
        if (retried > 0) log($"program #{Id}: {retried} enrolment answers were refused and retried (first: {firstRefusal})");
        if (result.Errors > 0) throw new ApiException($"{result.Errors} of {count} enrolments failed: {string.Join(" | ", result.ErrorSamples)}");
        return result.Seconds;
    }

    /// <summary>
    /// Exactly <paramref name="count"/> purchases through the API with the shop key, purchase i for member i % members, from
    /// <paramref name="clients"/> concurrent clients. A failed request is sent again (up to 5 times) with the same
    /// Idempotency-Key, so the service counts it once; every purchase must earn points. <paramref name="earned"/> sees the
    /// points of each final answer. Throws when a purchase could not be sent.
    /// </summary>
    public async Task<(long Points, LoadResult Load)> PurchaseAsync(string prefix, long count, int members, int clients, Action<long>? earned,
        CancellationToken ct)
    {
        long points = 0;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var path = P("/events");
        var result = await Load.CountAsync(clients, count, async (_, i, token) =>
        {
            var eventId = $"{prefix}-{tag}-{i}";
            var body = Purchases.Body(MemberId((int)(i % members)), eventId, i);
            var last = "";
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                try
                {
                    var (status, answer) = await Api.PostRawAsync(path, ShopKey, body, "idem-" + eventId, true, token);
                    if (status is >= 200 and < 300)
                    {
                        var got = long.Parse(JsonNode.Parse(answer!)!["points"]!.GetValue<string>());
                        if (got <= 0) return Outcome.Failure($"purchase {i} earned {got} points");
                        Interlocked.Add(ref points, got);
                        earned?.Invoke(got);
                        return Outcome.Success;
                    }
                    last = Purchases.Describe(status, answer);
                }
                catch (HttpRequestException ex) { last = ex.Message; }
                catch (TaskCanceledException ex) when (!token.IsCancellationRequested) { last = ex.Message; }
                await Task.Delay(200 * attempt, token);
            }
            return Outcome.Failure(last);
        }, ct);
        if (result.Errors > 0) throw new ApiException($"{result.Errors} of {count} purchases failed: {string.Join(" | ", result.ErrorSamples)}");
        return (Interlocked.Read(ref points), result);
    }
}
