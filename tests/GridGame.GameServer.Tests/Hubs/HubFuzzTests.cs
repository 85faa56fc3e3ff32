using System.Net.WebSockets;
using System.Text;
using GridGame.GameServer.Game;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>Random and malformed invocations: the server stays up, errors come back, and no other game changes.</summary>
public sealed class HubFuzzTests
{
    private static readonly string[] Methods = ["JoinGame", "ClaimCell", "LeaveGame", "joingame", "OnConnectedAsync", "Dispose", "", "ClaimCell\0", "Nope"];

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task Random_invocations_get_errors_back_and_never_touch_another_game(bool messagePack, int seed)
    {
        await using var server = await RunningServer.StartAsync();
        var (victim, before) = await VictimGameAsync(server);
        var random = new Random(seed);
        var fuzzer = await server.ConnectAsync("fuzzer", messagePack);
        var errors = 0;
        var reconnects = 0;

        for (var i = 0; i < 300; i++)
        {
            if (fuzzer.Connection.State != HubConnectionState.Connected)
            {
                await fuzzer.DisposeAsync();
                fuzzer = await server.ConnectAsync("fuzzer", messagePack);
                reconnects++;
            }
            var method = Methods[random.Next(Methods.Length)];
            var args = Enumerable.Range(0, random.Next(4)).Select(_ => RandomArgument(random)).ToArray();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await fuzzer.Connection.InvokeCoreAsync<object?>(method, args, timeout.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                errors++;
            }
        }
        await fuzzer.DisposeAsync();

        errors.Should().BeGreaterThan(100);
        reconnects.Should().BeLessThan(10);
        (await server.Http.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok");
        server.Directory.Find("victim-game")!.Snapshot("victim").Should().BeEquivalentTo(before);
        (await victim.ClaimAsync(3, 3)).Player.Should().Be("victim");
    }

    [Fact]
    public async Task Malformed_frames_close_only_the_sender()
    {
        await using var server = await RunningServer.StartAsync();
        var (victim, before) = await VictimGameAsync(server);
        var random = new Random(3);
        string[] frames =
        [
            "{\"type\":1,\"target\":\"ClaimCell\",\"arguments\":[\"a\",{}]}",
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinGame\",\"arguments\":[null]}",
            "{\"type\":1,\"invocationId\":\"2\",\"target\":\"JoinGame\",\"arguments\":[\"victim-game\"]}",
            "{\"type\":1,\"invocationId\":\"3\",\"target\":\"ClaimCell\",\"arguments\":[0,0,0,0]}",
            "{\"type\":99}",
            "{\"type\":1}",
            "[1,2,3]",
            "not json at all",
            "{\"type\":1,\"invocationId\":\"4\",\"target\":\"ClaimCell\",\"arguments\":[1e400,-1e400]}",
            "{\"type\":4,\"invocationId\":\"5\",\"target\":\"JoinGame\",\"arguments\":[\"x\"]}",
            "{\"type\":1,\"invocationId\":\"6\",\"target\":\"JoinGame\",\"arguments\":[\"" + new string('{', 1000) + "\"]}",
        ];

        var answered = 0;
        for (var i = 0; i < 25; i++)
        {
            var frame = i < frames.Length ? frames[i] : RandomText(random);
            answered += await SendRawAsync(server, frame) ? 1 : 0;
        }

        answered.Should().BeGreaterThan(0);
        (await server.Http.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok");
        server.Directory.Find("victim-game")!.Snapshot("victim").Should().BeEquivalentTo(before);
        (await victim.ClaimAsync(3, 3)).Player.Should().Be("victim");
    }

    private static async Task<(TestPlayer Victim, GridGame.GameServer.Hubs.BoardSnapshot Before)> VictimGameAsync(RunningServer server)
    {
        await server.Directory.OpenAsync("victim-game", new GameSettings { BoardSize = 4, ClaimCooldownMs = 0 }, ["victim"], CancellationToken.None);
        var victim = await server.ConnectAsync("victim");
        await victim.JoinAsync("victim-game");
        await victim.ClaimAsync(0, 0);
        return (victim, server.Directory.Find("victim-game")!.Snapshot("victim"));
    }

    /// <summary>Sends one frame after the handshake on a raw WebSocket; true when the server answered anything.</summary>
    private static async Task<bool> SendRawAsync(RunningServer server, string frame)
    {
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var uri = new Uri(server.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/hubs/game?access_token=" + RunningServer.Token("fuzzer"));
        await socket.ConnectAsync(uri, timeout.Token);
        await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}\u001e", timeout.Token);
        var buffer = new byte[64 * 1024];
        await socket.ReceiveAsync(buffer, timeout.Token); // the handshake answer
        await SendAsync(socket, frame + "\u001e", timeout.Token);
        // A valid invocation after it: its completion (or a close, if the frame broke the protocol) always comes back.
        await SendAsync(socket, "{\"type\":1,\"invocationId\":\"probe\",\"target\":\"LeaveGame\",\"arguments\":[]}\u001e", timeout.Token);
        // The server ignores some frames (an unknown message type) without answering: wait a bounded while.
        using var answer = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var result = await socket.ReceiveAsync(buffer, answer.Token);
            return result.MessageType != WebSocketMessageType.Close || result.Count > 0;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    private static object? RandomArgument(Random random) => random.Next(10) switch
    {
        0 => null,
        1 => random.Next(-5, 10),
        2 => int.MaxValue,
        3 => random.Next(2) == 0 ? "victim-game" : "fuzz-" + random.Next(5),
        4 => RandomText(random),
        5 => random.NextDouble() * 1e10,
        6 => new[] { 1, 2, 3 },
        7 => new Dictionary<string, object> { ["row"] = 1, ["col"] = "x" },
        8 => true,
        _ => long.MinValue,
    };

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 200)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(1, 0x2FF);
        }
        return new string(chars);
    }
}
