using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The portal's session: a member token swapped for an HttpOnly SameSite=Strict cookie that acts as that member's
/// own token (own routes only), needs the CSRF token on every mutating call, and ends server-side on sign-out.
/// </summary>
public sealed class MemberSessionTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private async Task<(HttpClient Browser, string Csrf, HttpResponseMessage Response)> SignInAsync(string member)
    {
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        var token = (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var browser = f.Factory.CreateClient(); // keeps cookies, like a browser
        var response = await browser.PostAsJsonAsync("/v1/member-sessions", new { token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(member, body["memberId"]!.GetValue<string>());
        return (browser, body["csrfToken"]!.GetValue<string>(), response);
    }

    private static HttpRequestMessage Patch(string path, string? csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = JsonContent.Create(new { consents = new { sms = true } }) };
        if (csrf is not null) request.Headers.Add("X-CSRF-Token", csrf);
        return request;
    }

    [Fact]
    public async Task TokenSignIn_SetsAStrictHttpOnlyCookie_ThatReachesOnlyTheMembersOwnRoutes()
    {
        var (browser, _, response) = await SignInAsync("session-own");
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "session-other" });
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        var cookie = Assert.Single(cookies, c => c.StartsWith("lc_session=", StringComparison.Ordinal));
        // the page-readable flag holds no secret: only "a session may exist"
        var flag = Assert.Single(cookies, c => c.StartsWith("lc_signed_in=", StringComparison.Ordinal));
        Assert.StartsWith("lc_signed_in=1;", flag);
        Assert.DoesNotContain("httponly", flag, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, cookies.Count);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("httponly", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase); // plain http in the test

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(f.P("/members/session-own"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(f.P("/members/session-own/history"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(f.P("/members/session-other"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(f.P("/members"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(f.P("/rules"))).StatusCode);
    }

    [Fact]
    public async Task MutatingCallsWithTheCookie_NeedTheCsrfToken_AndAReloadGetsANewOne()
    {
        var (browser, csrf, _) = await SignInAsync("session-csrf");
        var path = f.P("/members/session-csrf");
        var refused = await browser.SendAsync(Patch(path, null));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("CSRF_TOKEN_REQUIRED", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(Patch(path, "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Patch(path, csrf))).StatusCode);

        var current = JsonNode.Parse(await browser.GetStringAsync("/v1/member-sessions/current"))!;
        var renewed = current["csrfToken"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(Patch(path, csrf))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Patch(path, renewed))).StatusCode);
    }

    [Fact]
    public async Task SignOut_EndsTheSessionServerSide_EvenForACopiedCookie()
    {
        var (browser, csrf, response) = await SignInAsync("session-out");
        var copied = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("lc_session=", StringComparison.Ordinal)).Split(';')[0];
        var signOut = new HttpRequestMessage(HttpMethod.Delete, "/v1/member-sessions/current");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(signOut)).StatusCode); // no CSRF token
        signOut = new HttpRequestMessage(HttpMethod.Delete, "/v1/member-sessions/current");
        signOut.Headers.Add("X-CSRF-Token", csrf);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(signOut)).StatusCode);

        var replay = new HttpRequestMessage(HttpMethod.Get, f.P("/members/session-out"));
        replay.Headers.Add("Cookie", copied);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Factory.CreateClient(new() { HandleCookies = false }).SendAsync(replay)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/member-sessions/current")).StatusCode);
    }

    [Fact]
    public async Task AnInvalidOrExpiredToken_OpensNoSession()
    {
        var browser = f.Factory.CreateClient();
        var response = await browser.PostAsJsonAsync("/v1/member-sessions", new { token = "lcm_eyJ4Ijoi.bm9wZQ" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("INVALID_MEMBER_TOKEN", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }
}
