using Microsoft.Playwright;

namespace GridGame.EndToEnd.Tests;

/// <summary>The lobby in headless Chromium (Debian's): two players press Play and meet on one board.</summary>
[Collection(LocalModeCollection.Name)]
public sealed class LobbyBrowserTests(LocalModeFixture fixture)
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    [Fact]
    public async Task Two_players_press_Play_land_in_the_same_game_and_see_each_others_claims()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ChromiumArgs,
            Headless = true,
            Timeout = 60_000,
        });

        var carol = await PlayAsync(browser, "carol");
        var dave = await PlayAsync(browser, "dave");
        Session(carol).Should().NotBeNullOrEmpty().And.Be(Session(dave), "the lobby seats the second player in the first one's game");
        await Assertions.Expect(carol.Locator("#status")).ToContainTextAsync("Playing", new() { Timeout = 30_000 });

        // Assertions poll up to 30 s: on a loaded 2-core machine a round trip through the server can take seconds.
        var seen = new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 };
        await Cell(carol, 0, 0).ClickAsync();
        await Assertions.Expect(Cell(dave, 0, 0)).ToHaveAttributeAsync("data-owner", "carol", seen);
        await Cell(dave, 1, 1).ClickAsync();
        await Assertions.Expect(Cell(carol, 1, 1)).ToHaveAttributeAsync("data-owner", "dave", seen);
        await carol.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "gridgame-lobby-game.png") });

        // The lobby hands the token over in the URL's fragment; the page takes it and removes it from the address bar and
        // from the history entry, so going back to the lobby and forward again finds no token either.
        foreach (var page in new[] { carol, dave })
        {
            page.Url.Should().NotContain("token").And.NotContain("#");
        }
        var gameUrl = dave.Url;
        await dave.GoBackAsync();
        dave.Url.Should().Be(fixture.Local.Lobby.ToString());
        await dave.GoForwardAsync();
        dave.Url.Should().Be(gameUrl);
    }

    private async Task<IPage> PlayAsync(IBrowser browser, string player)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(fixture.Local.Lobby.ToString());
        await page.Locator("#player").FillAsync(player);
        await page.Locator("#play-button").ClickAsync();
        await page.WaitForURLAsync("**/?session=*");
        await Assertions.Expect(page.Locator("#board button").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        return page;
    }

    private static string? Session(IPage page) => new Uri(page.Url).Query.TrimStart('?').Split('&')
        .Select(p => p.Split('=', 2)).Where(p => p[0] == "session").Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault();

    private static ILocator Cell(IPage page, int row, int col) => page.Locator($"#board button[data-row=\"{row}\"][data-col=\"{col}\"]");
}
