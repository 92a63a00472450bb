using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Hundreds of generated malformed requests (seeded, so every run sends the same ones) across every mutating
/// endpoint: none may give a 5xx, every 4xx carries a problem-details code, and a refused request changes no row
/// of any table. Background jobs are paused meanwhile, so whatever changes a table came from the request.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class MalformedRequestFuzzTests(ProgramFixture f, ITestOutputHelper output) : IClassFixture<ProgramFixture>
{
    private const int Seed = 20261201;
    private const int RequestsPerEndpoint = 16;

    private sealed record Endpoint(HttpMethod Method, string Path, string? Body, bool Root = false, string? MemberRoute = null);

    private sealed record Case(Endpoint Endpoint, string Path, byte[]? Body, string ContentType, string? IdempotencyKey, string Label);

    /// <summary>Hostile JSON values, as raw JSON text (some are not representable as a .NET number).</summary>
    private static readonly string[] Hostile =
    [
        "null", "0", "-1", "1e400", "-1e400", "99999999999999999999999999", "9223372036854775807", "-9223372036854775809", "1.5", "true", "false",
        "\"\"", "\" \"", "\"x\\n\"", "\"x\\r\\n\"", "\"\\u0000\"", "\"10\\u0000\"", "\"\uD83D\uDCA5\"", "\"\u0661\u0660\"", "\"\\uD800\"",
        "\"" + new string('a', 5000) + "\"", "[]", "{}", "[null]", "[\"a\",null]", "{\"a\":null}", "\"99\"", "99", "\"Admin, Shop\"",
        "\"NaN\"", "\"10.\"", "\".5\"", "\"0x10\"", "\"1e3\"", "\"-5\"", "\"2026-13-45T99:00:00Z\"", "\"0001-01-01T00:00:00Z\"",
        "\"9999-12-31T23:59:59Z\"", "[[[[[[[[[[[]]]]]]]]]]]", "{\"$type\":\"System.IO.File\"}",
    ];

    private static readonly string[] HostileBodies =
    [
        "", "null", "[]", "42", "\"text\"", "{", "{\"a\":", "{\"a\":1,}", "{'a':1}", "{\"a\":1}{\"b\":2}", "\u0000",
        new string('[', 5000) + new string(']', 5000), string.Concat(Enumerable.Repeat("{\"x\":", 300)) + "1" + new string('}', 300),
    ];

    private static readonly string[] HostileRouteIds = ["x%0A", "x%0D%0A", "x%09", "a%20b", new string('m', 300), "..", "%E2%80%AE", "-x"];

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    [Fact]
    public async Task MalformedRequestsToEveryMutatingEndpoint_NeverGive5xx_AlwaysCarryACode_AndChangeNothing()
    {
        var endpoints = await ArrangeAsync();
        var cases = Generate(endpoints);
        Assert.True(cases.Count >= 600, $"only {cases.Count} cases");
        await PauseJobsAsync();
        try
        {
            var failures = new List<string>();
            var state = await SnapshotAsync();
            var (refused, accepted) = (0, 0);
            foreach (var c in cases)
            {
                var (status, body) = await SendAsync(c);
                var after = await SnapshotAsync();
                var what = $"{c.Endpoint.Method} {c.Path} [{c.Label}] -> {(int)status} {Truncate(body)}";
                if ((int)status >= 500) failures.Add("5xx: " + what);
                else if ((int)status >= 400)
                {
                    refused++;
                    if (!HasCode(body)) failures.Add("no code: " + what);
                    var changed = state.Where(t => after[t.Key] != t.Value).Select(t => t.Key).ToList();
                    if (changed.Count > 0) failures.Add($"changed {string.Join(", ", changed)}: " + what);
                }
                else accepted++;
                state = after;
            }
            output.WriteLine($"{cases.Count} requests: {refused} refused, {accepted} accepted");
            foreach (var failure in failures) output.WriteLine("FAILURE " + failure);
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(40)));
            Assert.True(refused > cases.Count * 3 / 5, $"only {refused} of {cases.Count} were refused: the generator is too gentle");
        }
        finally
        {
            f.Factory.Services.ScheduleRecurringJobs();
        }
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "..." : text;

    private static bool HasCode(string body)
    {
        try { return JsonNode.Parse(body)?["code"]?.GetValue<string>() is { Length: > 0 }; }
        catch (Exception) { return false; }
    }

    /// <summary>A member with points, a reward, a redemption, a draft drop, a rule, a badge and a key for the routes that name one.</summary>
    private async Task<List<Endpoint>> ArrangeAsync()
    {
        async Task<JsonNode> Created(Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> call)
        {
            var r = await call;
            Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{r.Status} {r.Body}");
            return r.Body!;
        }
        var api = f.Api;
        await Created(api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "fuzz gift", trigger = "fuzzgift", effect = new { kind = "PerCurrencyUnit", points = 1 } }));
        var member = "fuzz-" + Guid.NewGuid().ToString("N")[..8];
        var spare = member + "-spare";
        await Created(api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member, tier = "gold" }));
        await Created(api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = spare }));
        await Created(api.PostAsync(f.P("/events"), f.AdminKey, new { type = "fuzzgift", memberId = member, eventId = "g-" + member, amount = "500.00" }));
        var reward = (await Created(api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "FreeProduct", name = "fuzz reward", cost = "5" })))["id"]!.GetValue<long>();
        var redemption = (await Created(api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward })))["id"]!.GetValue<long>();
        var drop = (await Created(api.PostAsync(f.P("/drops"), f.AdminKey, new { name = "fuzz drop", maxSupply = 100, soulbound = true })))["id"]!.GetValue<long>();
        var rule = (await Created(api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "fuzz rule", trigger = "fuzz", effect = new { kind = "Fixed", points = 1 }, active = false })))["id"]!.GetValue<long>();
        var badge = (await Created(api.PostAsync(f.P("/badges"), f.AdminKey, new { name = "fuzz badge", dropId = drop, trigger = "fuzz", kind = "FirstEvent" })))["id"]!.GetValue<long>();
        var key = (await Created(api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop", name = "fuzz key" })))["id"]!.GetValue<long>();
        var cause = (await Created(api.PostAsync(f.P("/causes"), f.AdminKey, new { name = "fuzz cause" })))["id"]!.GetValue<long>();
        var address = "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        var m = $"/members/{member}";
        var lines = """[{"sku":"a","category":"c","amount":"5.00","quantity":1}]""";
        var conditions = """{"minAmount":0,"categories":["c"],"tiers":["gold"],"attributes":{"a":"b"},"weekdays":["Monday"],"fromHour":1,"toHour":2,"currency":"EUR"}""";
        var effect = """{"kind":"Fixed","points":1,"perMinorUnits":100,"rounding":"Floor","multiplierNumerator":1,"multiplierDenominator":1}""";
        var ruleBody = $$"""{"name":"fz","trigger":"fz","conditions":{{conditions}},"effect":{{effect}},"limits":{"perMemberPerDay":1,"perMemberPerMonth":1,"budget":1},"priority":1,"stacking":"Stack","startsAt":"2026-01-01T00:00:00Z","endsAt":"2027-01-01T00:00:00Z","active":false}""";
        var audience = """{"kind":"Explicit","tiers":["gold"],"attributes":{"a":"b"},"minPointsEarned":1,"pointsFrom":"2026-01-01T00:00:00Z","pointsTo":"2027-01-01T00:00:00Z"}""";
        return
        [
            new(HttpMethod.Post, f.P("/events"), $$"""{"type":"purchase","memberId":"{{member}}","eventId":"fz-1","amount":"10.00","currency":"EUR","occurredAt":"2026-12-01T10:00:00Z","lines":{{lines}}}"""),
            new(HttpMethod.Post, f.P("/events"), $$"""{"type":"return","memberId":"{{member}}","eventId":"fz-r","orderId":"fz-1","amount":"1.00"}"""),
            new(HttpMethod.Post, f.P("/members"), """{"externalId":"fz-m","email":"a@b.c","phone":"+123","birthday":"1990-01-01","tier":"gold","attributes":{"a":"b"}}"""),
            new(HttpMethod.Post, f.P(m + "/tokens"), null, MemberRoute: member),
            new(HttpMethod.Delete, f.P($"/members/{spare}/profile"), null, MemberRoute: spare),
            new(HttpMethod.Post, f.P($"/members/{spare}/forget"), null, MemberRoute: spare),
            new(HttpMethod.Post, f.P("/rules"), ruleBody),
            new(HttpMethod.Put, f.P($"/rules/{rule}"), ruleBody),
            new(HttpMethod.Delete, f.P($"/rules/{rule}"), null),
            new(HttpMethod.Post, f.P("/rules/dry-run"), $$"""{"event":{"type":"fz","memberId":"{{member}}","amount":"10.00","currency":"EUR","occurredAt":"2026-12-01T10:00:00Z","lines":{{lines}}},"draft":{{ruleBody}},"draftRuleId":{{rule}}}"""),
            new(HttpMethod.Post, f.P("/rewards"), $$"""{"type":"FreeProduct","name":"fz","description":"d","cost":"5","stock":10,"perMemberLimit":1,"tiers":["gold"],"attributes":{"a":"b"},"validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","coupons":"Generated","dropId":null,"active":true}"""),
            new(HttpMethod.Post, f.P($"/rewards/{reward}/coupons"), """{"codes":["FZ-A1","FZ-A2"]}"""),
            new(HttpMethod.Post, f.P(m + "/redemptions"), $$"""{"rewardId":{{reward}}}""", MemberRoute: member),
            new(HttpMethod.Post, f.P($"/redemptions/{redemption}/signature"), "{\"signature\":\"0x" + new string('1', 130) + "\"}"),
            new(HttpMethod.Post, f.P($"/redemptions/{redemption}/cancel"), null),
            new(HttpMethod.Post, f.P("/drops"), $$"""{"name":"fz","description":"d","imageUrl":"https://example.com/a.png","attributes":[{"traitType":"t","value":"v"}],"maxSupply":10,"soulbound":false,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2027-01-01T00:00:00Z","allowMultiplePerMember":false,"audience":{{audience}}}"""),
            new(HttpMethod.Put, f.P($"/drops/{drop}/image"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            new(HttpMethod.Post, f.P($"/drops/{drop}/publish"), null),
            new(HttpMethod.Post, f.P($"/drops/{drop}/airdrop"), $$"""{"memberIds":["{{member}}"]}"""),
            new(HttpMethod.Post, f.P($"/drops/{drop}/claims"), $$"""{"memberId":"{{member}}"}"""),
            new(HttpMethod.Post, f.P($"/drops/{drop}/vouchers"), $$"""{"memberId":"{{member}}"}"""),
            new(HttpMethod.Post, f.P($"/drops/{drop}/vouchers/123/relay"), null),
            new(HttpMethod.Post, f.P("/badges"), $$"""{"name":"fz","dropId":{{drop}},"trigger":"fz","kind":"NthEvent","count":2,"tier":"gold","points":1,"conditions":{{conditions}}}"""),
            new(HttpMethod.Delete, f.P($"/badges/{badge}"), null),
            new(HttpMethod.Post, f.P("/settlement/run"), null),
            new(HttpMethod.Post, f.P("/analytics/rebuild"), null),
            new(HttpMethod.Post, f.P("/ownership"), """{"newAdmin":"0x00000000000000000000000000000000000000ab"}"""),
            new(HttpMethod.Post, f.P("/api-keys"), """{"role":"partner","name":"fz"}"""),
            new(HttpMethod.Delete, f.P($"/api-keys/{key}"), null),
            new(HttpMethod.Post, "/v1/programs", """{"name":"Fz","pointName":"P","pointSymbol":"P","decimals":0,"currency":"EUR","pendingPeriodSeconds":0,"timeZone":"UTC"}""", Root: true),
            new(HttpMethod.Post, "/v1/admin/custody/rewrap", """{"batchSize":10,"maxBatches":1}""", Root: true),
            new(HttpMethod.Post, f.P(m + "/wallet/challenge"), $$"""{"address":"{{address}}"}""", MemberRoute: member),
            new(HttpMethod.Post, f.P(m + "/wallet/link"), """{"message":"hello","signature":"0x00"}""", MemberRoute: member),
            new(HttpMethod.Post, f.P(m + "/wallet/export"), """{"password":"correct horse battery"}""", MemberRoute: member),
            new(HttpMethod.Post, f.P("/custody/seed-export"), """{"password":"correct horse battery"}"""),
            new(HttpMethod.Post, f.P(m + "/withdrawals"), null, MemberRoute: member),
            // Sunset: the base body is refused itself (a past date; no sunset to snapshot or claim from), so no mutation sunsets the program.
            new(HttpMethod.Post, f.P("/sunset"), """{"endsAt":"2020-01-01T00:00:00Z"}"""),
            new(HttpMethod.Post, f.P("/sunset/snapshot"), null),
            new(HttpMethod.Post, f.P("/sunset/metadata-export"), """{"hostUrl":"https://new.host/x/"}"""),
            new(HttpMethod.Post, f.P($"/drops/{drop}/base-uri"), """{"baseUri":"https://new.host/x/"}"""),
            new(HttpMethod.Post, f.P(m + "/wallet/claim"), """{"passphrase":"correct horse battery"}""", MemberRoute: member),
            new(HttpMethod.Post, f.P("/attestations"), $$"""{"address":"{{address}}","minBalance":"1","tier":"gold"}"""),
            new(HttpMethod.Post, f.P("/causes"), """{"name":"fz","description":"d","url":"https://example.org/c","active":true}"""),
            new(HttpMethod.Patch, f.P($"/causes/{cause}"), """{"name":"fz","description":"d","url":"https://example.org/c","active":false}"""),
            new(HttpMethod.Post, f.P("/rewards"), $$"""{"type":"Donation","name":"fz","cost":"5","causeId":{{cause}}}"""),
            new(HttpMethod.Post, "/v1/member-sessions", """{"token":"lcm_nope"}"""),
            new(HttpMethod.Post, "/v1/member-sessions/siwe/challenge", $$"""{"programId":{{f.ProgramId}},"address":"{{address}}"}"""),
            new(HttpMethod.Post, "/v1/member-sessions/siwe", $$"""{"programId":{{f.ProgramId}},"message":"hello","signature":"0x00"}"""),
            new(HttpMethod.Put, f.P(m + "/leaderboard"), """{"optIn":true,"displayName":"Fuzz Name"}""", MemberRoute: member),
            new(HttpMethod.Post, f.P("/webhooks"), """{"url":"https://example.com/fz","eventTypes":["points.earned","member.enrolled"],"description":"fz"}"""),
            new(HttpMethod.Patch, f.P("/webhooks/999999"), """{"url":"https://example.com/fz2","eventTypes":["*"],"enabled":true}"""),
        ];
    }

    /// <summary>
    /// Deterministic: the same seed gives the same requests in the same order. Every field of every JSON body is
    /// also set to null once and every array gets a null item once (the review's 500s were nulls), then random
    /// mutations follow.
    /// </summary>
    private static List<Case> Generate(List<Endpoint> endpoints)
    {
        var random = new Random(Seed);
        var cases = new List<Case>();
        foreach (var e in endpoints.Where(e => e.Body?.StartsWith('{') == true))
        {
            var count = Slots(JsonNode.Parse(e.Body!)!).Count();
            for (var i = 0; i < count; i++)
            {
                var root = JsonNode.Parse(e.Body!)!;
                var (parent, name, index) = Slots(root).ElementAt(i);
                if (parent is JsonArray array) array.Add(null);
                else ((JsonObject)parent)[name!] = null;
                cases.Add(new Case(e, e.Path, Utf8(root.ToJsonString()), "application/json", null,
                    parent is JsonArray ? $"null added to array at {i}" : $"{name}=null"));
            }
        }
        foreach (var e in endpoints)
        {
            for (var i = 0; i < RequestsPerEndpoint; i++)
            {
                var (path, body, type, label) = Mutate(e, random);
                // A valid key on some: a refused request must release its claim (no row left behind).
                var key = random.Next(4) switch
                {
                    0 => "fuzz-" + random.Next(1_000_000),
                    1 when i % 8 == 1 => new string('k', 201),
                    _ => null,
                };
                cases.Add(new Case(e, path, body, type, key, label + (key is null ? "" : $" key={key[..Math.Min(key.Length, 12)]}")));
            }
        }
        return cases;
    }

    private static (string Path, byte[]? Body, string ContentType, string Label) Mutate(Endpoint e, Random random)
    {
        const string json = "application/json";
        var roll = random.Next(100);
        if (roll < 8 && e.MemberRoute is not null)
        {
            var id = HostileRouteIds[random.Next(HostileRouteIds.Length)];
            return (e.Path.Replace("/members/" + e.MemberRoute, "/members/" + id), Utf8(e.Body), json, "route id " + id);
        }
        if (e.Body is not null && !e.Body.StartsWith('{'))
        {
            // Not JSON (an image upload): random bytes, truncations and the hostile bodies.
            var bytes = random.Next(3) == 0 ? Utf8(e.Body)![..random.Next(e.Body.Length)] : new byte[random.Next(1, 512)];
            if (bytes.Length > 0 && bytes.All(x => x == 0)) random.NextBytes(bytes);
            return (e.Path, bytes, random.Next(2) == 0 ? "image/png" : "application/octet-stream", $"{bytes.Length} raw bytes");
        }
        if (roll < 20 || e.Body is null)
        {
            var choice = random.Next(HostileBodies.Length + 2);
            if (choice == HostileBodies.Length) return (e.Path, [0xFF, 0xFE, 0x00, 0xC3], json, "invalid UTF-8");
            if (choice == HostileBodies.Length + 1) return (e.Path, Utf8(e.Body ?? "{}"), "text/plain", "wrong content type");
            var hostile = HostileBodies[choice];
            return (e.Path, Utf8(hostile), json, "body " + Truncate(hostile)[..Math.Min(hostile.Length, 20)]);
        }
        if (roll < 26) return (e.Path, Utf8(e.Body), random.Next(2) == 0 ? "application/x-www-form-urlencoded" : "application/xml", "wrong content type");

        var root = JsonNode.Parse(e.Body)!;
        var slots = Slots(root).ToList();
        if (slots.Count == 0) return (e.Path, Utf8("{\"unexpected\":" + Hostile[random.Next(Hostile.Length)] + "}"), json, "unexpected field");
        var (parent, name, index) = slots[random.Next(slots.Count)];
        var raw = new Dictionary<string, string>();
        string label;
        switch (random.Next(10))
        {
            case 0 when name is not null:
                ((JsonObject)parent).Remove(name);
                label = "missing " + name;
                break;
            case 1:
                var array = Slots(root).Select(s => s.Parent).OfType<JsonArray>().FirstOrDefault();
                if (array is not null) { array.Add(null); label = "null in array"; break; }
                goto default;
            default:
                var value = Hostile[random.Next(Hostile.Length)];
                var token = $"__RAW_{raw.Count}__";
                raw[token] = value;
                if (name is not null) ((JsonObject)parent)[name] = token;
                else ((JsonArray)parent)[index] = token;
                label = $"{name ?? "[" + index + "]"}={Truncate(value)[..Math.Min(value.Length, 24)]}";
                break;
        }
        var text = root.ToJsonString();
        foreach (var (token, value) in raw) text = text.Replace($"\"{token}\"", value);
        return (e.Path, Utf8(text), json, label);
    }

    private static byte[]? Utf8(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    /// <summary>Every property and array element of the tree, as (parent, property name or null, array index).</summary>
    private static IEnumerable<(JsonNode Parent, string? Name, int Index)> Slots(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    yield return (o, name, -1);
                    if (child is not null) foreach (var s in Slots(child)) yield return s;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return (a, null, i);
                    if (a[i] is { } child) foreach (var s in Slots(child)) yield return s;
                }
                break;
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(Case c)
    {
        var request = new HttpRequestMessage(c.Endpoint.Method, c.Path);
        request.Headers.Add("X-Api-Key", c.Endpoint.Root ? f.Factory.AdminKey : f.AdminKey);
        if (c.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", c.IdempotencyKey);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        var response = await f.Api.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task PauseJobsAsync()
    {
        var recurring = f.Factory.Services.GetRequiredService<IRecurringJobManager>();
        foreach (var id in new[] { ChainTxJobs.SubmitRecurringId, ChainTxJobs.ConfirmRecurringId, IndexerJobs.RecurringId, LoyaltyJobs.SettlementRecurringId, LoyaltyJobs.WebhooksRecurringId,
                     LoyaltyJobs.AnalyticsRebuildRecurringId })
            recurring.RemoveIfExists(id);
        // A pass already running finishes; after that nothing writes but the requests.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = await SnapshotAsync();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(1500);
            var now = await SnapshotAsync();
            if (now.All(t => last[t.Key] == t.Value)) return;
            last = now;
        }
        throw new InvalidOperationException("the background jobs did not go quiet");
    }

    /// <summary>Every table's content as one hash per table: a refused request must leave every one as it was.</summary>
    private Task<Dictionary<string, string>> SnapshotAsync() => DbAsync(async db =>
    {
        var tables = db.Model.GetEntityTypes().Select(t => t.GetTableName()).OfType<string>().Distinct().Order().ToList();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var result = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                var row = new StringBuilder();
                for (var i = 0; i < reader.FieldCount; i++) row.Append(reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                rows.Add(row.ToString());
            }
            rows.Sort(StringComparer.Ordinal);
            result[table] = $"{rows.Count}:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", rows))))[..16]}";
        }
        return result;
    });
}
