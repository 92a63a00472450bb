using Loyalty.Chain.BrowserTests.Infrastructure;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.BrowserTests;

/// <summary>Each page loads from this host alone, under the strict CSP, and passes axe.</summary>
public sealed class PagesSmokeTests(WebHostFixture f) : IClassFixture<WebHostFixture>
{
    [Theory]
    [InlineData("/portal/")]
    [InlineData("/console/")]
    [InlineData("/till/")]
    public async Task EveryPage_LoadsOnlyLocalAssets_UnderTheStrictCsp_AndPassesAxe(string path)
    {
        var page = await f.NewPageAsync(1280, 800);
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        var response = await page.GotoAsync(path);
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        await page.Locator("h1").First.WaitForAsync();
        Assert.Empty(f.ExternalRequests);
        Assert.True(errors.Count == 0, "console errors: " + string.Join("\n", errors));
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.Context.CloseAsync();
    }
}
