using System.Net.WebSockets;
using System.Text;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>Clients that flood, idle or multiply: the server counts and refuses them, and its log stays quiet.</summary>
public sealed class HostileClientTests
{
    [Fact]
    public async Task A_flood_of_refused_calls_is_counted_by_reason_and_writes_no_log_line_per_call()
    {
        var logs = new CapturedLogs();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["GridGame:RateLimit:Burst"] = "201",
            ["GridGame:RateLimit:PerSecond"] = "0.001",
        }, logs: logs);
        await using var mallory = await server.ConnectAsync("mallory");
        await mallory.JoinAsync("flood");
        await mallory.ClaimAsync(0, 0);

        var refusals = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            try
            {
                await mallory.ClaimAsync(0, 0);
            }
            catch (HubException ex)
            {
                refusals.Add(ex.Message);
            }
        }

        refusals.Count(r => r.Contains("cell taken", StringComparison.Ordinal)).Should().Be(199);
        refusals.Count(r => r.Contains("too many requests", StringComparison.Ordinal)).Should().Be(201);
        logs.Lines.Where(l => l.Level >= LogLevel.Warning).Should().BeEmpty("refusals are expected outcomes, not faults");
        var metrics = await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.Should().Contain("game_refusals_total{reason=\"cell_taken\"} 199").And.Contain("game_refusals_total{reason=\"rate_limited\"} 201");
        mallory.Connection.State.Should().Be(HubConnectionState.Connected);
    }

    [Fact]
    public async Task Unknown_methods_and_arguments_that_do_not_bind_take_from_the_rate_limit_like_any_call()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["GridGame:RateLimit:Burst"] = "4",
            ["GridGame:RateLimit:PerSecond"] = "0.001",
        });
        await using var mallory = await server.ConnectAsync("mallory");

        foreach (var (method, args) in new (string, object?[])[] { ("Nope", []), ("Nope", [1]), ("ClaimCell", ["x", "y"]), ("JoinGame", [1, 2, 3]) })
        {
            var call = () => mallory.Connection.InvokeCoreAsync<object?>(method, args);
            await call.Should().ThrowAsync<HubException>();
        }
        var join = () => mallory.JoinAsync("after-the-flood");

        await join.Should().ThrowAsync<HubException>().WithMessage("*too many requests*");
        server.Directory.Find("after-the-flood").Should().BeNull();
        var metrics = await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.Should().Contain("game_refusals_total{reason=\"bad_invocation\"} 4").And.Contain("game_refusals_total{reason=\"rate_limited\"} 1");
    }

    [Fact]
    public async Task Connections_that_never_send_anything_are_closed_after_the_client_timeout_and_pinging_ones_stay()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:ClientTimeoutSeconds"] = "2" });
        var pinging = new TestPlayer("alice", server.BaseUrl, RunningServer.Token("alice"), messagePack: false);
        pinging.Connection.KeepAliveInterval = TimeSpan.FromMilliseconds(300);
        await using var _ = pinging;
        await pinging.StartAsync();
        await pinging.JoinAsync("idle");
        var silent = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => OpenSilentAsync(server, "silent" + i)));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        await Task.WhenAll(silent.Select(WaitForCloseAsync));

        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(8));
        pinging.Connection.State.Should().Be(HubConnectionState.Connected);
        (await pinging.ClaimAsync(0, 0)).Player.Should().Be("alice");
        await Eventually.UntilAsync(async () => (await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Contains("websocket_connections_active 1\n", StringComparison.Ordinal),
            "only the pinging connection is left", timeout: TimeSpan.FromSeconds(10));
        foreach (var socket in silent)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task A_player_over_the_connection_cap_is_refused_with_a_clear_message_until_one_closes()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Connections:PerPlayer"] = "2" });
        await using var first = await server.ConnectAsync("alice");
        await using var second = await server.ConnectAsync("alice", messagePack: true);
        await using var third = new TestPlayer("alice", server.BaseUrl, RunningServer.Token("alice"), messagePack: false);
        await using var bob = await server.ConnectAsync("bob");

        var connect = third.StartAsync;

        (await connect.Should().ThrowAsync<HubException>()).Which.Message.Should().Contain("too many connections: this player already has 2 open");
        await first.Connection.StopAsync();
        await Eventually.UntilAsync(async () =>
        {
            await using var again = await server.ConnectAsync("alice");
            return true;
        }, "alice may connect again once one of hers closed");
        var metrics = await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.Should().Contain("game_refusals_total{reason=\"connections_per_player\"} 1");
    }

    [Fact]
    public async Task An_address_over_the_connection_cap_is_refused()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["GridGame:Connections:PerPlayer"] = "0",
            ["GridGame:Connections:PerAddress"] = "3",
        });
        var players = new List<TestPlayer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                players.Add(await server.ConnectAsync("p" + i));
            }
            var fourth = new TestPlayer("p3", server.BaseUrl, RunningServer.Token("p3"), messagePack: false);
            players.Add(fourth);

            var connect = fourth.StartAsync;

            (await connect.Should().ThrowAsync<HubException>()).Which.Message.Should().Contain("too many connections: this address already has 3 open");
        }
        finally
        {
            foreach (var player in players)
            {
                await player.DisposeAsync();
            }
        }
    }

    /// <summary>A raw WebSocket that completes the SignalR handshake and then never sends a byte (no ping either).</summary>
    private static async Task<ClientWebSocket> OpenSilentAsync(RunningServer server, string player)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var uri = new Uri(server.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/hubs/game?access_token=" + RunningServer.Token(player));
        await socket.ConnectAsync(uri, timeout.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, timeout.Token);
        var answer = await socket.ReceiveAsync(new byte[1024], timeout.Token);
        answer.MessageType.Should().Be(WebSocketMessageType.Text, "the handshake is answered");
        return socket;
    }

    /// <summary>Reads (the server's pings) until the server closes the socket; fails after a bound.</summary>
    private static async Task WaitForCloseAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, bound.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (WebSocketException)
        {
            // closed without a close frame: closed all the same
        }
    }
}
