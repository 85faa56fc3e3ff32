using System.CommandLine;
using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Local;
using static GridGame.Operator.Cli.FlagValues;

namespace GridGame.Operator.Cli;

/// <summary>The flags of <c>gridgame-operator local</c> and how they become <see cref="LocalModeOptions"/>.</summary>
internal sealed class LocalFlags
{
    private static readonly LocalModeOptions Defaults = new();

    private readonly Option<string?> _kubeconfig = Text("--kubeconfig", "FILE", "Where to write the kubeconfig for kubectl [default .gridgame/kubeconfig]");
    private readonly Option<int?> _apiPort = Single("--api-port", "N", "LocalCluster API port; 0 picks a free one [default 0]", Port);
    private readonly Option<int?> _lobbyPort = Single("--lobby-port", "N", "Lobby page port; 0 picks a free one [default 0]", Port);
    private readonly Option<KubeletKind?> _kubelet = Single("--kubelet", "process|simulated", "Run game servers as processes, or simulate them (pods become Ready without processes) [default process]", Kubelet);
    private readonly Option<int?> _nodes = Single("--nodes", "N", "Number of nodes, 1 to 1000 [default 1]", Count);
    private readonly Option<bool> _apiOnly = new("--api-only") { Description = "Start just the API server (no kubelet, operator or lobby)" };
    private readonly Option<bool> _noSample = new("--no-sample") { Description = "Do not apply config/samples/gamefleet.yaml" };
    private readonly Option<string?> _gameServer = Text("--gameserver", "PATH", "The game server to run for *gridgame-gameserver* images [env GRIDGAME_GAMESERVER; default: the one built in this repository]");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _kubeconfig, _apiPort, _lobbyPort, _kubelet, _nodes, _apiOnly, _noSample, _gameServer })
        {
            command.Options.Add(option);
        }
    }

    public LocalModeOptions Bind(ParseResult result, Func<string, string?> environment) => Defaults with
    {
        Kubeconfig = result.GetValue(_kubeconfig) ?? Defaults.Kubeconfig,
        ApiPort = result.GetValue(_apiPort) ?? Defaults.ApiPort,
        LobbyPort = result.GetValue(_lobbyPort) ?? Defaults.LobbyPort,
        Kubelet = result.GetValue(_kubelet) ?? Defaults.Kubelet,
        Nodes = result.GetValue(_nodes) ?? Defaults.Nodes,
        ApiOnly = result.GetValue(_apiOnly),
        Sample = !result.GetValue(_noSample),
        GameServer = result.GetValue(_gameServer) ?? (environment("GRIDGAME_GAMESERVER") is { Length: > 0 } path ? path : null),
    };

    private static KubeletKind Kubelet(string text) => text switch
    {
        "process" => KubeletKind.Process,
        "simulated" => KubeletKind.Simulated,
        _ => throw new FormatException("is not process or simulated"),
    };

    private static int Count(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000
            ? n
            : throw new FormatException("is not a number from 1 to 1000");
}
