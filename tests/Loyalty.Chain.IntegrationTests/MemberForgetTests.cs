using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The external id is the shop's customer id and may be an e-mail address. Only the member row maps it to the member;
/// erasure scrubs the stored idempotent answers, and forgetting ends the mapping: afterwards no column of any table holds
/// the customer id, and the service's own log lines never named it.
/// </summary>
public sealed class MemberForgetTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    [Fact]
    public async Task Erasure_ScrubsStoredIdempotentAnswers_AndForget_LeavesNoCopyOfTheExternalIdAnywhere()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var email = $"ann.{suffix}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/webhooks"), f.AdminKey,
            new { url = $"https://hooks-{suffix}.invalid/lc", eventTypes = new[] { "member.enrolled", "points.earned" } })).Status);
        Loyalty.Chain.Webhooks.WebhookOutbox.Invalidate(f.ProgramId);
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "forget euro " + suffix, trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1 } });
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey,
            new { externalId = email, email, phone = "+3247" + Random.Shared.Next(100000, 999999) }, idempotencyKey: "enrol-" + suffix)).Status);
        var patchBody = new { email, attributes = new Dictionary<string, string> { ["city"] = "Ghent" } };
        var patched = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{email}"), f.AdminKey, patchBody, "patch-" + suffix);
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Contains(email, patched.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = email, eventId = "forget-order-" + suffix, amount = "12.00", currency = "EUR" }, "event-" + suffix)).Status);
        var token = (await f.Api.PostAsync(f.P($"/members/{email}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await f.Factory.CreateClient().PostAsJsonAsync("/v1/member-sessions", new { token })).StatusCode);
        Assert.NotEmpty(await TablesHoldingAsync(email));

        // Erasure: the stored answer of the profile PATCH replays without the e-mail or the attributes.
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.SendAsync(HttpMethod.Delete, f.P($"/members/{email}/profile"), f.AdminKey, idempotencyKey: "erase-" + suffix)).Status);
        var replay = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/members/{email}"), f.AdminKey, patchBody, "patch-" + suffix);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.True(replay.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.DoesNotContain(email, replay.Body!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Ghent", replay.Body!.ToJsonString());
        Assert.True(replay.Body!["memberErased"]!.GetValue<bool>());
        var eventReplay = await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "purchase", memberId = email, eventId = "forget-order-" + suffix, amount = "12.00", currency = "EUR" }, "event-" + suffix);
        Assert.DoesNotContain(email, eventReplay.Body!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        // The member row still maps the customer id (the shop goes on sending events by it); the open portal session names
        // the member by internal id only.
        Assert.Equal(["Members.ExternalId"], (await TablesHoldingAsync(email)).Order().ToList());

        // Forget: the mapping goes, and with it the last copy.
        Assert.Equal(HttpStatusCode.NoContent, (await f.Api.PostAsync(f.P($"/members/{email}/forget"), f.AdminKey, null, "forget-" + suffix)).Status);
        Assert.Empty(await TablesHoldingAsync(email));
        var gone = await f.Api.GetAsync(f.P($"/members/{email}"), f.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal("UNKNOWN_MEMBER", gone.Body!["code"]!.GetValue<string>());
        // The forgotten member's books stay, under the pseudonym no request can name.
        var pseudonym = await DbAsync(db => db.Set<Loyalty.Chain.Members.Member>().Where(m => m.ProgramId == f.ProgramId && m.ExternalId.StartsWith("~"))
            .Select(m => m.ExternalId).ToListAsync());
        Assert.NotEmpty(pseudonym);
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Api.GetAsync(f.P($"/members/{Uri.EscapeDataString(pseudonym[0])}"), f.AdminKey)).Status);
        // The same customer id enrolled again is a new member with nothing of the old one's.
        var again = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = email });
        Assert.Equal(HttpStatusCode.Created, again.Status);
        // The forgotten member's token (still within its 15 minutes) names the old member, not the customer id: it reaches
        // neither the new member nor anything else. The new member's own token works.
        Assert.Equal(HttpStatusCode.Unauthorized, await MemberGetAsync(token, $"/members/{email}"));
        var fresh = (await f.Api.PostAsync(f.P($"/members/{email}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, await MemberGetAsync(fresh, $"/members/{email}"));
        // The service's own log lines name members by internal id only (ASP.NET's request lines carry the path: README).
        var leaks = f.Factory.Logs.Where(l => l.Contains(email, StringComparison.OrdinalIgnoreCase) && !l.Contains(" Microsoft.")).Take(3).ToList();
        Assert.True(leaks.Count == 0, "log lines naming the external id: " + string.Join(" | ", leaks));
    }

    private async Task<HttpStatusCode> MemberGetAsync(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, f.P(path));
        request.Headers.Authorization = new("Bearer", token);
        return (await f.Factory.CreateClient().SendAsync(request)).StatusCode;
    }

    private async Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = f.Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    /// <summary>"Table.Column" for every text column of the ledger database that contains <paramref name="needle"/> (any case).</summary>
    private Task<List<string>> TablesHoldingAsync(string needle) => DbAsync(async db =>
    {
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var columns = new List<(string Table, string Column)>();
        var postgres = TestDatabase.IsPostgres;
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = postgres
                ? "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND data_type IN ('text','character varying','json','jsonb')"
                : "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND (p.type = '' OR p.type LIKE '%TEXT%' OR p.type LIKE '%CHAR%' OR p.type LIKE '%BLOB%')";
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1)));
        }
        var found = new List<string>();
        foreach (var (table, column) in columns)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = postgres
                ? $"SELECT COUNT(*) FROM \"{table}\" WHERE strpos(lower(\"{column}\"::text), lower(@n)) > 0"
                : $"SELECT COUNT(*) FROM \"{table}\" WHERE instr(lower(CAST(\"{column}\" AS TEXT)), lower(@n)) > 0";
            var p = cmd.CreateParameter();
            p.ParameterName = "@n";
            p.Value = needle;
            cmd.Parameters.Add(p);
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync()) > 0) found.Add($"{table}.{column}");
        }
        return found;
    });
}
