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
}
