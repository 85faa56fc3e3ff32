using System.Net;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.Playwright;

namespace GridGame.GameServer.Tests.Web;

/// <summary>The web page in headless Chromium (the Debian package, not a Playwright download).</summary>
public sealed class GamePageTests
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    [Fact]
    public async Task Two_players_claim_cells_and_both_boards_update_until_the_winner_shows()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["GridGame:Game:BoardSize"] = "2",
            ["GridGame:Game:MinPlayers"] = "2",
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ChromiumArgs,
            Headless = true,
            Timeout = 30_000,
        });
        var alice = await OpenAsync(browser, server, "alice");
        var bob = await OpenAsync(browser, server, "bob");
        await Assertions.Expect(alice.Locator("#status")).ToContainTextAsync("Playing");

        await Cell(alice, 0, 0).ClickAsync();
        await Assertions.Expect(Cell(alice, 0, 0)).ToHaveAttributeAsync("data-owner", "alice");
        await Assertions.Expect(Cell(bob, 0, 0)).ToHaveAttributeAsync("data-owner", "alice");

        await Cell(bob, 0, 0).FocusAsync();
        await bob.Keyboard.PressAsync("ArrowRight");
        await bob.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Cell(alice, 0, 1)).ToHaveAttributeAsync("data-owner", "bob");
        await Assertions.Expect(Cell(bob, 0, 1)).ToHaveAttributeAsync("aria-label", "Row 1, column 2, taken by bob");

        await Cell(alice, 1, 0).ClickAsync();
        await Assertions.Expect(Cell(bob, 1, 0)).ToHaveAttributeAsync("data-owner", "alice");
        await bob.Keyboard.PressAsync("ArrowDown");
        await bob.Keyboard.PressAsync(" ");

        await Assertions.Expect(Cell(alice, 1, 1)).ToHaveAttributeAsync("data-owner", "bob");
        foreach (var page in new[] { alice, bob })
        {
            await Assertions.Expect(page.Locator("#winner")).ToHaveTextAsync("Game over. Winners: alice, bob");
            await Assertions.Expect(page.Locator("#scores li[data-player=alice]")).ToContainTextAsync("alice: 2");
            await Assertions.Expect(page.Locator("#scores li[data-player=bob]")).ToContainTextAsync("bob: 2");
        }
        await alice.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "gridgame-page.png") });
    }

    [Fact]
    public async Task A_refused_claim_shows_the_reason()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Game:MinPlayers"] = "2" });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Args = ChromiumArgs, Headless = true });
        var alice = await OpenAsync(browser, server, "alice");

        await Cell(alice, 2, 2).ClickAsync();

        await Assertions.Expect(alice.Locator("#error")).ToHaveTextAsync("game not started: waiting for players");
        await Assertions.Expect(Cell(alice, 2, 2)).Not.ToHaveAttributeAsync("data-owner", "alice");
    }

    [Theory]
    [InlineData("#token=")] // as the lobby hands it over: a fragment is never sent to a server
    [InlineData("&token=")] // a link made by hand
    public async Task A_token_handed_over_in_the_URL_is_used_and_leaves_no_trace_in_the_address_bar_or_the_history(string handover)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Auth:DevTokens"] = "false" });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Args = ChromiumArgs, Headless = true });
        var page = await (await browser.NewContextAsync()).NewPageAsync();
        page.SetDefaultTimeout(10_000);
        var token = RunningServer.Token("erin");
        await page.GotoAsync($"{server.BaseUrl}/health"); // the page the player came from (the lobby)

        await page.GotoAsync($"{server.BaseUrl}/?session=handoff{handover}{token}");

        await Assertions.Expect(page.Locator("#scores li[data-player=erin]")).ToBeVisibleAsync();
        page.Url.Should().Be($"{server.BaseUrl}/?session=handoff");
        (await page.EvaluateAsync<string>("location.href")).Should().NotContain(token);
        await page.GoBackAsync();
        page.Url.Should().Be($"{server.BaseUrl}/health");
        await page.GoForwardAsync();
        page.Url.Should().Be($"{server.BaseUrl}/?session=handoff", "the history entry holds the URL without the token");
    }

    [Fact]
    public async Task A_browser_opening_a_session_url_gets_the_page()
    {
        await using var server = await RunningServer.StartAsync();
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(server.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hubs/game?session=match-7");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().Be("/?session=match-7");
        (await http.GetStringAsync(new Uri("/lib/signalr.min.js", UriKind.Relative))).Should().Contain("signalR");
    }

    private static async Task<IPage> OpenAsync(IBrowser browser, RunningServer server, string player)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        await page.GotoAsync($"{server.BaseUrl}/?session=web&player={player}");
        await Assertions.Expect(page.Locator("#board button").First).ToBeVisibleAsync();
        return page;
    }

    private static ILocator Cell(IPage page, int row, int col) => page.Locator($"#board button[data-row=\"{row}\"][data-col=\"{col}\"]");
}
