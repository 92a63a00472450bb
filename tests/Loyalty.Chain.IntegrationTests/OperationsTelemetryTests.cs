using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// What an operator's tools read from the real host: the Prometheus scrape at /metrics (the project's own meters after real
/// intake and a real pass of the jobs and the pipeline against a real node), the OpenAPI document a newcomer starts from,
/// and the offline docs page. The host runs no Hangfire workers: the test runs the passes itself, so it knows what was counted.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed partial class OperationsTelemetryTests(ReadinessFixture f) : IClassFixture<ReadinessFixture>
{
    [Fact]
    public async Task Metrics_AfterEventsArePosted_ShowTheProjectsMeters()
    {
        var root = f.Factory.AdminKey;
        var program = await f.Api.PostAsync("/v1/programs", root,
            new { name = "Metrics Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, program.Status);
        var p = $"/v1/programs/{program.Body!["program"]!["id"]!.GetValue<long>()}";
        await f.Api.PostAsync(p + "/members", root, new { externalId = "metrics-member" });
        var accepted = await f.Api.PostAsync(p + "/events", root, new { type = "visit", memberId = "metrics-member", eventId = "metrics-visit-1" });
        var refused = await f.Api.PostAsync(p + "/events", root, new { type = "visit", memberId = "nobody-here", eventId = "metrics-visit-2" });
        Assert.Equal(HttpStatusCode.Created, accepted.Status);
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        // One settlement pass (its first step queues the program's deployments) and one submit pass, as the recurring jobs would.
        await f.Factory.Services.GetRequiredService<LoyaltyJobs>().SettleAsync(CancellationToken.None);
        Assert.True(await f.Factory.Services.GetRequiredService<PipelineRunner>().SubmitDueAsync(CancellationToken.None) > 0);

        // The per-state ChainTx gauge reads the database at most every 5 s: a scrape by another test just before may have
        // cached a snapshot from before the submit pass, so wait out that cache rather than depend on test order.
        var text = "";
        var sent = new System.Text.RegularExpressions.Regex(@"loyalty_chaintx_count\{[^}]*status=""Sent""[^}]*\} [1-9]");
        var until = DateTime.UtcNow.AddSeconds(8);
        do text = await ScrapeAsync(r => r.Headers.Add("X-Api-Key", root));
        while (!sent.IsMatch(text) && DateTime.UtcNow < until && await Task.Delay(500).ContinueWith(_ => true));

        Assert.Matches(@"loyalty_intake_events_accepted_total(\{[^}]*\})? [1-9]", text);
        Assert.Matches(@"loyalty_intake_events_refused_total\{[^}]*code=""UNKNOWN_MEMBER""[^}]*\} [1-9]", text);
        Assert.Contains("loyalty_intake_batch_size_bucket", text);
        Assert.Contains("loyalty_intake_commit_duration_seconds_bucket", text);
        Assert.Matches(@"loyalty_chaintx_submitted_total(\{[^}]*\})? [1-9]", text);
        Assert.Matches(@"loyalty_chaintx_count\{[^}]*status=""Sent""[^}]*\} [1-9]", text);
        Assert.Contains("loyalty_pipeline_backlog_age_seconds", text);
        Assert.Matches(@"loyalty_job_step_duration_seconds_count\{[^}]*step=""program-activation""[^}]*\} [1-9]", text);
        // ASP.NET Core and the runtime, from the same scrape.
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.Contains("dotnet_gc_", text);
    }

    [Fact]
    public async Task Metrics_NeedTheDeploymentAdminKey()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeStatusAsync(_ => { }));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeStatusAsync(r => r.Headers.Add("X-Api-Key", "lc_admin_nope")));
        var other = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "Key Coffee", pointName = "Beans", pointSymbol = "BEAN", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 });
        Assert.Equal(HttpStatusCode.Forbidden, await ScrapeStatusAsync(r => r.Headers.Add("X-Api-Key", other.Body!["adminKey"]!.GetValue<string>())));
        // Prometheus' own way to send a credential.
        Assert.Equal(HttpStatusCode.OK, await ScrapeStatusAsync(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", f.Factory.AdminKey)));
    }

    [Fact]
    public async Task OpenApi_TellsANewcomerHowToStart_WithBothSecuritySchemesAndExamples()
    {
        var doc = (await f.Api.GetAsync("/openapi/v1.json", null)).Body!;

        var description = doc["info"]!["description"]!.GetValue<string>();
        Assert.Contains("Getting started", description);
        Assert.Contains("POST /v1/programs/{programId}/events", description);
        var schemes = doc["components"]!["securitySchemes"]!;
        Assert.Equal("apiKey", schemes["ApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("X-Api-Key", schemes["ApiKey"]!["name"]!.GetValue<string>());
        Assert.Equal("header", schemes["ApiKey"]!["in"]!.GetValue<string>());
        Assert.Equal("bearer", schemes["MemberBearer"]!["scheme"]!.GetValue<string>());

        var paths = doc["paths"]!;
        var events = paths["/v1/programs/{programId}/events"]!["post"]!;
        Assert.Equal("purchase", events["requestBody"]!["content"]!["application/json"]!["example"]!["type"]!.GetValue<string>());
        Assert.Contains("ApiKey", SchemesOf(events));
        Assert.DoesNotContain("MemberBearer", SchemesOf(events));
        // A member redeems with their own token.
        var redeem = paths["/v1/programs/{programId}/members/{memberId}/redemptions"]!["post"]!;
        Assert.Contains("MemberBearer", SchemesOf(redeem));
        Assert.NotNull(redeem["requestBody"]!["content"]!["application/json"]!["example"]);
        Assert.NotNull(paths["/v1/programs/{programId}/members"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]);
        Assert.NotNull(paths["/v1/programs/{programId}/rules"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]);
        // Public routes ask for nothing.
        Assert.Empty(SchemesOf(paths["/health"]!["get"]!));
    }

    [Fact]
    public async Task Docs_ReferenceNoExternalHost_AndTurnOffHostedFeatures()
    {
        var response = await f.Api.Http.GetAsync("/docs");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Every script, stylesheet, font or image the page asks for comes from this host (XML namespaces are names, not fetches).
        var external = AbsoluteUrl().Matches(html).Select(m => m.Value)
            .Where(u => !u.StartsWith("http://localhost") && !u.StartsWith("http://www.w3.org/")).ToList();
        Assert.True(external.Count == 0, "external references: " + string.Join(", ", external));
        Assert.Contains("scalar.js", html);
        Assert.Matches(@"""withDefaultFonts""\s*:\s*false", html);
        Assert.Matches(@"""telemetry""\s*:\s*false", html);
        Assert.Matches(@"""hideClientButton""\s*:\s*true", html);
        Assert.DoesNotMatch(@"""proxyUrl""\s*:\s*""http", html);
    }

    private static IEnumerable<string> SchemesOf(JsonNode operation) =>
        operation["security"]?.AsArray().SelectMany(r => r!.AsObject().Select(kv => kv.Key)).ToList() ?? [];

    private async Task<string> ScrapeAsync(Action<HttpRequestMessage> auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        auth(request);
        var response = await f.Api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<HttpStatusCode> ScrapeStatusAsync(Action<HttpRequestMessage> auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        auth(request);
        return (await f.Api.Http.SendAsync(request)).StatusCode;
    }

    [GeneratedRegex(@"(?:https?:)?//[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+[^\s""'<>)]*")]
    private static partial Regex AbsoluteUrl();
}
