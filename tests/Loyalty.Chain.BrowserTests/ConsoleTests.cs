using System.Net;
using System.Numerics;
using Loyalty.Chain.BrowserTests.Infrastructure;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Loyalty.Chain.BrowserTests;

/// <summary>The host with a fast indexer and a metadata base URL, so drops publish and mint within a test.</summary>
public sealed class ConsoleFixture : WebHostFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Indexer:Interval"] = "00:00:01",
        ["Collectibles:PublicBaseUrl"] = "http://localhost",
    };
}

/// <summary>The brand console as a brand's staff uses it: sign in with the admin key, try an event on the rules, run a drop.</summary>
public sealed class ConsoleTests(ConsoleFixture f) : IClassFixture<ConsoleFixture>
{
    // A 1x1 PNG.
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<IPage> SignInAsync(int width = 1280, int height = 900, string? key = null)
    {
        var page = await f.NewPageAsync(width, height);
        await page.GotoAsync("/console/");
        await page.GetByLabel("Admin key", new() { Exact = true }).FillAsync(key ?? f.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        return page;
    }

    private async Task<string> MemberAsync()
    {
        var id = Unique("con");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id })).Status);
        return id;
    }

    [Fact]
    public async Task SignIn_ThenARuleMadeInTheEditor_AndATriedEvent_ShowWhichRulesFireAndWhy()
    {
        var member = await MemberAsync();
        // A tier policy whose invitation-only VIP level doubles what the rules give; this member is invited to it.
        var policy = await f.Api.SendAsync(HttpMethod.Put, f.P("/tiers"), f.AdminKey, new
        {
            metric = "points_earned", window = "lifetime",
            levels = new object[] { new { name = "Regular", threshold = "1000000" }, new { name = "VIP", invitationOnly = true, multiplierPercent = 200 } },
        });
        Assert.True(policy.Status == HttpStatusCode.OK, policy.Body?.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, (await f.Api.PostAsync(f.P($"/members/{member}/tier"), f.AdminKey, new { tier = "VIP" })).Status);
        var trigger = Unique("visit").Replace("-", "_");
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).WaitForAsync();
        Assert.Contains("Corner Coffee", await page.Locator("header").InnerTextAsync());
        // Nothing of the key is kept where other tabs or later visits could read it.
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Rules" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New rule" }).WaitForAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Big spender");
        await page.GetByLabel("Trigger (event type)").FillAsync(trigger);
        await page.GetByLabel("Effect").SelectOptionAsync("Fixed");
        await page.GetByLabel("Points (or multiplier factor)").FillAsync("50");
        await page.GetByLabel("Minimum amount (minor units)").FillAsync("5000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "Big spender", Exact = true }).WaitForAsync();
        // A second rule through the API: the dry run must show both verdicts.
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "Per euro", trigger, effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "Per euro", Exact = true }).WaitForAsync();

        await page.GetByLabel("Member id", new() { Exact = true }).FillAsync(member);
        await page.GetByLabel("Event type", new() { Exact = true }).FillAsync(trigger);
        await page.GetByLabel("Amount", new() { Exact = true }).FillAsync("12.00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Try it" }).ClickAsync();
        var result = page.Locator("ul.dry-run");
        await result.WaitForAsync();
        var text = await result.InnerTextAsync();
        Assert.Contains("Per euro: fires, +12", text);
        Assert.Contains("Big spender: does not fire", text);
        Assert.Contains("below minimum", text);
        // The tier multiplier intake applies after the rules: its own line, with the level and the arithmetic.
        Assert.Equal("Tier multiplier: 200%, +12. tier VIP: 200% of 12 = 24 (floor)", (await page.GetByTestId("tier-multiplier").InnerTextAsync()).Trim());
        Assert.Contains("Result: 24 points", await page.Locator("#dry-h").InnerTextAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.Locator("#dry-h").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("console-rules.png") });

        // It wrote nothing: the member still has no history and no points.
        var after = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!;
        Assert.Equal("0", after["balance"]!["available"]!.GetValue<string>());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ADrop_WithAnUploadedImage_MintsToTheMember_AndTheConsoleShowsItsTransactions_TokenOnChain()
    {
        var member = await MemberAsync();
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Drops" }).ClickAsync();
        var name = Unique("Launch cup");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Description").FillAsync("For the first guests");
        await page.GetByLabel("Maximum supply").FillAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create drop" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = name }).WaitForAsync();

        await page.GetByLabel("Image (PNG, JPEG or SVG, at most 256 KiB)").SetInputFilesAsync(new FilePayload { Name = "cup.png", MimeType = "image/png", Buffer = Png });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload image" }).ClickAsync();
        await page.GetByRole(AriaRole.Img, new() { Name = $"Image of {name}" }).WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Publish {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("drop-status")).ToHaveTextAsync("Published", new() { Timeout = 90_000 });

        await page.GetByLabel("Member ids (comma separated)").FillAsync(member);
        await page.GetByRole(AriaRole.Button, new() { Name = "Airdrop" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("minted")).ToHaveTextAsync("1", new() { Timeout = 90_000 });
        var hashes = await page.Locator("code.tx-hash").AllInnerTextsAsync();
        Assert.True(hashes.Count >= 2, "createDrop and mint transactions are listed: " + string.Join(", ", hashes));
        Assert.All(hashes, h => Assert.Matches("^0x[0-9a-f]{64}$", h));
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("console-drops.png") });

        // The token is on chain, in the member's wallet.
        var wallet = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["walletAddress"]!.GetValue<string>();
        var collectible = new LoyaltyCollectibleService(f.Chain.Chain.AdminWeb3, f.CollectibleContract);
        Assert.Equal(BigInteger.One, await collectible.BalanceOfQueryAsync(wallet));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EveryView_PassesAxe_OnDesktopAndPhone()
    {
        foreach (var (width, height) in new[] { (1280, 900), (390, 844) })
        {
            var page = await SignInAsync(width, height);
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Console" });
            await nav.WaitForAsync();
            var views = await nav.GetByRole(AriaRole.Link).AllInnerTextsAsync();
            Assert.Equal(11, views.Count);
            foreach (var view in views)
            {
                await nav.GetByRole(AriaRole.Link, new() { Name = view, Exact = true }).ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(view);
                await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Loading" })).ToHaveCountAsync(0);
                await Axe.AssertNoSeriousViolationsAsync(page);
                if (width > 600 && view == "Overview") await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("console-overview.png") });
            }
            // The overview and webhooks views read the analytics and webhooks endpoints: both exist, so neither view may
            // fall back to its "not available on this server" state.
            if (width > 600)
            {
                foreach (var view in new[] { "Overview", "Webhooks" })
                {
                    await nav.GetByRole(AriaRole.Link, new() { Name = view, Exact = true }).ClickAsync();
                    await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Loading" })).ToHaveCountAsync(0);
                    await Assertions.Expect(page.GetByText("is not available on this server.")).ToHaveCountAsync(0);
                }
            }
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task ASegmentMadeInTheEditor_ShowsItsCount_AndExportsItsMembersAsCsv_AndARefusedDefinitionShowsTheProblem()
    {
        var club = Unique("club");
        var member = Unique("seg");
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey,
            new { externalId = member, attributes = new Dictionary<string, string> { ["club"] = club } })).Status);
        var page = await SignInAsync(390, 844);
        await page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New segment" }).WaitForAsync();

        // A refused definition: the API's code and detail are shown and nothing is created.
        var name = Unique("Club members");
        await page.GetByLabel("Segment name").FillAsync(name);
        await page.GetByLabel("More conditions (JSON)").FillAsync("{\"birthdayMonth\":13}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create segment" }).ClickAsync();
        await Assertions.Expect(page.Locator("#segment-editor .error")).ToContainTextAsync("INVALID_SEGMENT: ");
        Assert.DoesNotContain((await f.Api.GetAsync(f.P("/segments"), f.AdminKey)).Body!.AsArray(), s => s!["name"]!.GetValue<string>() == name);

        await page.GetByLabel("More conditions (JSON)").FillAsync($"{{\"attributes\":{{\"club\":\"{club}\"}}}}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create segment" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await row.WaitForAsync();
        var id = (await f.Api.GetAsync(f.P("/segments"), f.AdminKey)).Body!.AsArray().Single(s => s!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<long>();
        await Assertions.Expect(page.GetByTestId($"segment-count-{id}")).ToHaveTextAsync("1");
        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = $"Export {name} as CSV" }).ClickAsync());
        Assert.Equal($"segment-{id}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains(member, csv);
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("console-segments-mobile.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AChallengeMadeInTheEditor_HasItsSteps_Window_OrderAndRepetition_AndARefusedStepShowsTheProblem()
    {
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Challenges" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New challenge" }).WaitForAsync();
        var name = Unique("Coffee journey");
        await page.GetByLabel("Challenge name").FillAsync(name);
        await page.GetByLabel("Starts at").FillAsync("2026-12-01T08:00");
        await page.GetByLabel("Ends at (optional)").FillAsync("2027-01-31T20:00");
        await page.GetByLabel("Repeats").SelectOptionAsync("weekly");
        await page.GetByLabel("Reward points").FillAsync("100");
        await page.GetByLabel("A journey: steps count only in order").CheckAsync();
        await page.GetByLabel("Step 1 name").FillAsync("Visit");
        await page.GetByLabel("Step 1 event type").FillAsync("visit");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add step" }).ClickAsync();
        await page.GetByLabel("Step 2 name").FillAsync("Buy coffee");
        await page.GetByLabel("Step 2 event type").FillAsync("return");
        await page.GetByLabel("Step 2 count").FillAsync("3");
        await page.GetByLabel("Step 2 categories (comma separated)").FillAsync("coffee");
        await page.GetByLabel("Step 2: each on a different day").CheckAsync();

        // "return" cannot be a step: the API refuses it and the page shows its code.
        await page.GetByRole(AriaRole.Button, new() { Name = "Create challenge" }).ClickAsync();
        await Assertions.Expect(page.Locator("#challenge-editor .error")).ToContainTextAsync("INVALID_CHALLENGE_STEP: ");
        await page.GetByLabel("Step 2 event type").FillAsync("purchase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create challenge" }).ClickAsync();
        var row = page.GetByTestId("challenge-row").Filter(new() { HasText = name });
        await row.WaitForAsync();
        var text = await row.InnerTextAsync();
        Assert.Contains("Visit (visit x1) → Buy coffee (purchase x3, distinct days)", text);
        Assert.Contains("journey, repeats weekly", text);
        Assert.Contains("100 points", text);

        var stored = (await f.Api.GetAsync(f.P("/challenges"), f.AdminKey)).Body!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!;
        Assert.True(stored["ordered"]!.GetValue<bool>());
        Assert.Equal("Weekly", stored["repeat"]!.GetValue<string>());
        Assert.Equal(["visit", "purchase"], stored["steps"]!.AsArray().Select(s => s!["eventType"]!.GetValue<string>()));
        Assert.Equal(3, stored["steps"]![1]!["count"]!.GetValue<int>());
        Assert.True(stored["steps"]![1]!["distinctDays"]!.GetValue<bool>());
        Assert.Equal(["coffee"], stored["steps"]![1]!["conditions"]!["categories"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("100", stored["reward"]!["points"]!.GetValue<string>());
        Assert.NotNull(stored["endsAt"]);
        await Axe.AssertNoSeriousViolationsAsync(page);
        await row.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = WebHostFixture.ScreenshotPath("console-challenges.png") });

        await row.GetByRole(AriaRole.Button, new() { Name = $"Deactivate {name}" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("inactive");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AShopKey_SeesTheDeniedPage_NotTheConsole()
    {
        var shop = (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" })).Body!["key"]!.GetValue<string>();
        var page = await SignInAsync(390, 844, shop);
        await page.GetByRole(AriaRole.Heading, new() { Name = "No access" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).CountAsync());
        await Axe.AssertNoSeriousViolationsAsync(page);
        await page.Context.CloseAsync();
    }
}
