using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

public sealed class TightLimitsProgramFixture : ProgramFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["RateLimits:MetadataPermitPerMinute"] = "3",
        ["RateLimits:InvalidMemberTokensPerMinute"] = "3",
    };
}

/// <summary>Every error has a problem-details code; every answer has the security headers; private answers are not cached.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class HttpHardeningTests(TightLimitsProgramFixture f) : IClassFixture<TightLimitsProgramFixture>
{
    private async Task<(HttpResponseMessage Response, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? key = null,
        HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        var response = await f.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType?.EndsWith("json") == true && text.Length > 0;
        return (response, json ? JsonNode.Parse(text) : null);
    }

    [Theory]
    [InlineData("GET", "/v1/no-such-thing", 404, "NOT_FOUND")]
    [InlineData("GET", "/", 404, "NOT_FOUND")]
    [InlineData("DELETE", "/v1/programs/{p}/events", 405, "METHOD_NOT_ALLOWED")]
    [InlineData("PUT", "/health", 405, "METHOD_NOT_ALLOWED")]
    [InlineData("DELETE", "/v1/programs/{p}/api-keys/999999", 404, "NOT_FOUND")]
    [InlineData("PUT", "/v1/programs/{p}/rules/999999", 404, "NOT_FOUND")]
    public async Task BareErrorStatuses_AreProblemDetailsWithAStableCode(string method, string path, int status, string code)
    {
        var content = method == "PUT" ? new StringContent("""{"name":"x","trigger":"visit","effect":{"kind":"Fixed","points":1}}""", Encoding.UTF8, "application/json") : null;

        var (response, body) = await SendAsync(new HttpMethod(method), path.Replace("{p}", f.ProgramId.ToString()), f.AdminKey, content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, body?["code"]?.GetValue<string>());
    }

    [Fact]
    public async Task ABodyThatIsNotJson_Is415WithCodeUnsupportedMediaType_AndCreatesNothing()
    {
        var (response, body) = await SendAsync(HttpMethod.Post, f.P("/members"), f.AdminKey,
            new StringContent("externalId=plain", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("UNSUPPORTED_MEDIA_TYPE", body?["code"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await f.Api.GetAsync(f.P("/members/plain"), f.AdminKey)).Status);
    }

    [Theory]
    [InlineData("/v1/programs/{p}")]
    [InlineData("/v1/no-such-thing")]
    [InlineData("/docs")]
    [InlineData("/health")]
    public async Task EveryAnswer_CarriesNosniffAFramePolicyAndAReferrerPolicy(string path)
    {
        var (response, _) = await SendAsync(HttpMethod.Get, path.Replace("{p}", f.ProgramId.ToString()), f.AdminKey);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task KeyAndSeedExports_MemberTokensAndMemberViews_AreNotStored()
    {
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "private" });
        var password = new StringContent("""{"password":"correct horse battery staple"}""", Encoding.UTF8, "application/json");
        var answers = new[]
        {
            (await SendAsync(HttpMethod.Get, f.P("/members/private"), f.AdminKey)).Response,
            (await SendAsync(HttpMethod.Post, f.P("/members/private/tokens"), f.AdminKey)).Response,
            (await SendAsync(HttpMethod.Post, f.P("/members/private/wallet/export"), f.AdminKey, password)).Response,
            (await SendAsync(HttpMethod.Post, f.P("/custody/seed-export"), f.AdminKey,
                new StringContent("""{"password":"correct horse battery staple"}""", Encoding.UTF8, "application/json"))).Response,
            (await SendAsync(HttpMethod.Post, f.P("/api-keys"), f.AdminKey, new StringContent("""{"role":"shop"}""", Encoding.UTF8, "application/json"))).Response,
        };

        Assert.All(answers, a =>
        {
            Assert.True(a.IsSuccessStatusCode, $"{a.RequestMessage!.RequestUri}: {(int)a.StatusCode}");
            Assert.True(a.Headers.CacheControl?.NoStore, $"{a.RequestMessage.RequestUri} may be cached");
        });
    }

    [Fact]
    public async Task MetadataAndImages_AreRateLimitedPerClient()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
            statuses.Add((await SendAsync(HttpMethod.Get, $"/v1/public/metadata/{f.ProgramId}/999/{i}")).Response.StatusCode);
        var (limited, body) = await SendAsync(HttpMethod.Get, $"/v1/public/drops/{f.ProgramId}/999/image");

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("RATE_LIMITED", body?["code"]?.GetValue<string>());
    }

    [Fact]
    public async Task InvalidMemberTokens_AreRateLimitedPerClient()
    {
        async Task<HttpResponseMessage> WithToken(string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, f.P("/members/anyone"));
            request.Headers.Authorization = new("Bearer", token);
            return await f.Api.Http.SendAsync(request);
        }
        var first = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) first.Add((await WithToken($"lcm_forged{i}.AAAA")).StatusCode);

        var blocked = await WithToken("lcm_forged.AAAA");

        Assert.All(first, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("RATE_LIMITED", await blocked.Content.ReadAsStringAsync());

        // A valid member token from the same address (members behind one NAT or proxy) is still served.
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "behind-the-nat" });
        var valid = (await f.Api.PostAsync(f.P("/members/behind-the-nat/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Get, f.P("/members/behind-the-nat"));
        request.Headers.Authorization = new("Bearer", valid);
        Assert.Equal(HttpStatusCode.OK, (await f.Api.Http.SendAsync(request)).StatusCode);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}
