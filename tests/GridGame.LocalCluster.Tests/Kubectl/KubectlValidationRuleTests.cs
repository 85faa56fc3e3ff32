namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>The GameSession CRD's CEL rules as an operator meets them: the real kubectl is refused where a real cluster refuses it.</summary>
public sealed class KubectlValidationRuleTests
{
    private static readonly string Crds = Path.Combine(RepositoryRoot.Path, "crds");

    private static async Task<KubectlRunner> WithCrdsAsync()
    {
        var kubectl = await KubectlRunner.StartAsync();
        await kubectl.OkAsync($"apply -f {Crds}");
        await kubectl.OkAsync("wait --for=condition=Established crd/gamesessions.gridgame.io --timeout=10s");
        return kubectl;
    }

    private static string Session(string fleet, string players, string game = "") => $"""
        apiVersion: gridgame.io/v1
        kind: GameSession
        metadata:
          name: s1
          namespace: default
        spec:
          fleetName: {fleet}
          players: [{players}]
        {game}
        """;

    [Fact]
    public async Task Apply_of_a_session_with_duplicate_players_is_refused()
    {
        await using var kubectl = await WithCrdsAsync();
        var (code, _, err) = await kubectl.RunAsync("apply -f -", Session("arena", "alice, bob, alice"));
        code.Should().NotBe(0);
        err.Should().Contain("The GameSession \"s1\" is invalid: spec.players: Invalid value: \"array\": player ids must be unique");
        (await kubectl.RunAsync("get gamesession s1")).Code.Should().NotBe(0, "nothing was stored");
    }

    [Fact]
    public async Task Create_of_a_session_with_minPlayers_above_maxPlayers_is_refused()
    {
        await using var kubectl = await WithCrdsAsync();
        var (code, _, err) = await kubectl.RunAsync("create -f -", Session("arena", "alice", "  game: {minPlayers: 4, maxPlayers: 2}"));
        code.Should().NotBe(0);
        err.Should().Contain("The GameSession \"s1\" is invalid: spec.game.minPlayers: Invalid value: \"object\": minPlayers must be <= maxPlayers");
    }

    [Fact]
    public async Task Patch_and_apply_that_change_fleetName_are_refused()
    {
        await using var kubectl = await WithCrdsAsync();
        await kubectl.OkAsync("apply -f -", Session("arena", "alice"));
        const string immutable = "spec.fleetName: Invalid value: \"string\": fleetName is immutable";

        var (code, _, err) = await kubectl.RunAsync("patch gamesession s1 --type=merge -p {\"spec\":{\"fleetName\":\"other\"}}");
        code.Should().NotBe(0);
        err.Should().Contain("The GameSession \"s1\" is invalid: " + immutable);

        (code, _, err) = await kubectl.RunAsync("apply -f -", Session("other", "alice"));
        code.Should().NotBe(0);
        err.Should().Contain(immutable);

        (code, _, err) = await kubectl.RunAsync("apply --server-side --force-conflicts -f -", Session("other", "alice"));
        code.Should().NotBe(0);
        err.Should().Contain(immutable);

        (await kubectl.OkAsync("get gamesession s1 -o jsonpath={.spec.fleetName}")).Should().Be("arena");
    }

    [Fact]
    public async Task Apply_that_keeps_fleetName_and_changes_players_is_accepted()
    {
        await using var kubectl = await WithCrdsAsync();
        await kubectl.OkAsync("apply -f -", Session("arena", "alice", "  game: {minPlayers: 2, maxPlayers: 2}"));
        (await kubectl.OkAsync("apply -f -", Session("arena", "alice, bob, carol", "  game: {minPlayers: 2, maxPlayers: 3}")))
            .Should().Contain("gamesession.gridgame.io/s1 configured");
        (await kubectl.OkAsync("get gamesession s1 -o jsonpath={.spec.players}")).Should().Be("[\"alice\",\"bob\",\"carol\"]");
    }
}
