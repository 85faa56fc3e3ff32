using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using GridGame.Crds;
using Microsoft.AspNetCore.SignalR.Client;

namespace GridGame.EndToEnd.Tests;

/// <summary>`gridgame-operator local` stops cleanly and takes its game servers with it.</summary>
[Collection(OwnLocalModeCollection.Name)]
public sealed class ShutdownTests
{
    [Fact]
    public async Task SIGTERM_stops_local_mode_and_leaves_no_process_behind()
    {
        await using var local = await LocalModeProcess.StartAsync();
        await Eventually.UntilAsync(async () =>
        {
            var ready = await local.KubectlAsync("get", "gamefleet", "arena", "-o", "jsonpath={.status.readyReplicas}");
            return int.TryParse(ready, out var n) && n >= 2;
        }, TimeSpan.FromSeconds(90), "game servers running");
        local.LeftoverProcesses().Should().NotBeEmpty("the game servers run as processes with this cluster's kubeconfig");

        var exit = await local.StopAsync(TimeSpan.FromSeconds(60));

        exit.Should().Be(0, local.Output);
        await Eventually.UntilAsync(() => Task.FromResult(local.LeftoverProcesses().Count == 0), TimeSpan.FromSeconds(10), "every game server has exited");
    }

    /// <summary>
    /// A game server process sent SIGTERM, as the kubelet sends it: its players are told the server drains while their
    /// connections are still open, and it exits on its own within the drain window and the grace period.
    /// </summary>
    [Fact]
    public async Task A_SIGTERMed_game_server_tells_its_players_before_their_connections_close_and_exits()
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Built.GameServer);
        info.Environment["urls"] = $"http://127.0.0.1:{port}";
        info.Environment["Auth__DevTokens"] = "true";
        info.Environment["GridGame__OpsPort"] = "0";
        info.Environment["GridGame__DrainSeconds"] = "3";
        info.Environment["ConnectionStrings__Sqlite"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"gg-sigterm-{port}.db")}";
        using var server = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var status = new GameSessionStatus { Address = "127.0.0.1", Port = port, Url = $"http://127.0.0.1:{port}/hubs/game?session=sigterm" };
            var alice = await Eventually.ValueAsync(async () => await GamePlayer.ConnectAsync(status, "alice", TimeSpan.FromSeconds(30)), TimeSpan.FromSeconds(60), "the game server answers");
            await using (alice)
            {
                await alice.JoinAsync("sigterm");
                var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                alice.Connection.On<System.Text.Json.JsonElement>("ServerDraining", _ => told.TrySetResult());
                var stopwatch = Stopwatch.StartNew();

                Kill(server.Id, 15).Should().Be(0);

                var first = await Task.WhenAny(told.Task, alice.Closed.Task).WaitAsync(TimeSpan.FromSeconds(20));
                first.Should().BeSameAs(told.Task, "the players are told before their connections close");
                await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(25), "the drain window is 3 s and the grace period 25 s");
                server.ExitCode.Should().Be(0, Output(output));
                await alice.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
            File.Delete(Path.Combine(Path.GetTempPath(), $"gg-sigterm-{port}.db"));
        }
    }

    private static string Output(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
