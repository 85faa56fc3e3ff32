using GridGame.Crds;
using k8s;
using Microsoft.Data.Sqlite;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// The whole system as a newcomer runs it: `gridgame-operator local`, kubectl, real game-server processes and two
/// real SignalR clients playing one game to the end.
/// </summary>
[Collection(LocalModeCollection.Name)]
public sealed class GameSessionEndToEndTests(LocalModeFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private LocalModeProcess Local => fixture.Local;

    [Fact]
    public async Task The_sample_fleet_becomes_ready()
    {
        var ready = await Eventually.ValueAsync(async () =>
        {
            var n = await Local.KubectlAsync("get", "gamefleet", "arena", "-o", "jsonpath={.status.readyReplicas}");
            return int.TryParse(n, out var count) && count >= 2 ? (int?)count : null;
        }, Bound, "two Ready servers in fleet arena");

        ready.Should().BeGreaterThanOrEqualTo(2);
        var table = await Local.KubectlAsync("get", "gamefleets");
        table.Should().Contain("arena").And.Contain("DESIRED").And.Contain("READY");
    }

    [Fact]
    public async Task A_session_created_with_kubectl_is_allocated_played_to_the_end_recorded_and_its_server_recycled()
    {
        var created = await Local.KubectlWithInputAsync("""
            apiVersion: gridgame.io/v1
            kind: GameSession
            metadata: { generateName: e2e-, namespace: default }
            spec:
              fleetName: arena
              players: [alice, bob]
              game: { boardSize: 3, minPlayers: 2 }
            """, "create", "-f", "-", "-o", "name");
        var name = created.Trim().Split('/')[1];

        await Local.KubectlAsync("wait", $"gamesession/{name}", "--for=jsonpath={.status.phase}=Allocated", "--timeout=90s");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Local.Kubeconfig));
        var session = await GetSessionAsync(client, name);
        var status = session.Status!;
        // Each local mode on the machine has a loopback address of its own for its node (another run may hold 127.0.0.1).
        var node = await client.CoreV1.ReadNodeAsync(status.NodeName);
        status.Address.Should().Be(node.Status.Addresses.Single(a => a.Type == "ExternalIP").Address, "a server's address is its node's ExternalIP");
        status.Address.Should().StartWith("127.", "local mode's nodes are loopback addresses");
        status.Port.Should().BeInRange(7000, 8000);
        status.Url.Should().Be($"http://{status.Address}:{status.Port}/hubs/game?session={name}");
        var server = status.ServerName!;

        await using var alice = await GamePlayer.ConnectAsync(status, "alice", Bound);
        await using var bob = await GamePlayer.ConnectAsync(status, "bob", Bound);
        await alice.JoinAsync(name);
        await bob.JoinAsync(name);

        // Nine cells: alice takes five, bob four, so alice wins 5-4.
        for (var cell = 0; cell < 9; cell++)
        {
            await (cell % 2 == 0 ? alice : bob).ClaimAsync(cell / 3, cell % 3);
        }

        var over = await alice.GameOver.Task.WaitAsync(Bound);
        over.GetProperty("winners").EnumerateArray().Select(w => w.GetString()).Should().Equal("alice");
        (await bob.GameOver.Task.WaitAsync(Bound)).GetProperty("reason").GetString().Should().NotBeNullOrEmpty();

        var finished = await Eventually.ValueAsync(async () =>
        {
            var s = await GetSessionAsync(client, name);
            return s.Status?.Phase == SessionPhase.Finished ? s : null;
        }, Bound, $"session {name} Finished");
        finished.Status!.Winner.Should().Be("alice");
        finished.Status.Players!.ToDictionary(p => p.Id!, p => p.Score).Should()
            .BeEquivalentTo(new Dictionary<string, int?> { ["alice"] = 5, ["bob"] = 4 });
        (await Local.KubectlAsync("get", "gamesession", name)).Should().Contain("Finished").And.Contain("alice");

        // The finished game's server is released and the fleet makes a fresh one in its place.
        await Eventually.UntilAsync(async () =>
        {
            var pods = await Local.KubectlAsync("get", "pods", "-l", $"{WellKnown.FleetLabel}=arena", "-o", "jsonpath={.items[*].metadata.name}");
            return !pods.Split(' ').Contains(server);
        }, Bound, $"server {server} is released");
        await Eventually.UntilAsync(async () =>
        {
            var ready = await Local.KubectlAsync("get", "gamefleet", "arena", "-o", "jsonpath={.status.readyReplicas}");
            return int.TryParse(ready, out var n) && n >= 2;
        }, Bound, "the fleet is back to two Ready servers");

        // History: the game, its claims and its result are in the database the servers share.
        await using var db = new SqliteConnection($"Data Source={Path.Combine(Local.StateDirectory, "history.db")};Mode=ReadOnly");
        await db.OpenAsync();
        var claims = await Eventually.ValueAsync(async () =>
        {
            await using var count = db.CreateCommand();
            count.CommandText = "select count(*) from claims where game_id = $id";
            count.Parameters.AddWithValue("$id", name);
            var n = Convert.ToInt32(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            return n == 9 ? (int?)n : null;
        }, Bound, "nine claims in the history");
        claims.Should().Be(9);
        await using var winner = db.CreateCommand();
        winner.CommandText = "select player_id from results where game_id = $id and winner";
        winner.Parameters.AddWithValue("$id", name);
        (await winner.ExecuteScalarAsync()).Should().Be("alice");
    }

    private static async Task<GameSession> GetSessionAsync(Kubernetes client, string name) =>
        await client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, "default", GameSession.KubePluralName, name);
}
