using System.Globalization;
using GridGame.LocalCluster.Nodes;

namespace GridGame.Operator.Local;

/// <summary>The flags of <c>gridgame-operator local</c> (docs/reference/configuration.md).</summary>
internal sealed record LocalModeOptions
{
    public const string Usage = """
        usage: gridgame-operator local [options]
          --kubeconfig FILE        where to write the kubeconfig (default .gridgame/kubeconfig)
          --api-port N             LocalCluster API port (default 0 = any free port)
          --lobby-port N           lobby page port (default 0 = any free port)
          --kubelet process|simulated   run game servers as processes (default) or simulate them
          --nodes N                number of nodes (default 1)
          --api-only               just the API server
          --no-sample              do not apply config/samples/gamefleet.yaml
          --gameserver PATH        the game server to run for *gridgame-gameserver* images
                                   (default: $GRIDGAME_GAMESERVER, else the one built in this repository)
        """;

    public string Kubeconfig { get; init; } = Path.Combine(".gridgame", "kubeconfig");

    public int ApiPort { get; init; }

    public int LobbyPort { get; init; }

    public KubeletKind Kubelet { get; init; } = KubeletKind.Process;

    public int Nodes { get; init; } = 1;

    public bool ApiOnly { get; init; }

    public bool Sample { get; init; } = true;

    public string? GameServer { get; init; }

    public static (LocalModeOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var options = new LocalModeOptions { GameServer = Environment.GetEnvironmentVariable("GRIDGAME_GAMESERVER") };
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            string? value = null;
            var eq = flag.IndexOf('=', StringComparison.Ordinal);
            if (flag.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                value = flag[(eq + 1)..];
                flag = flag[..eq];
            }

            string Value() => value ?? (i + 1 < args.Count ? args[++i] : throw new FormatException($"{flag} needs a value"));

            try
            {
                options = flag switch
                {
                    "--kubeconfig" => options with { Kubeconfig = Value() },
                    "--api-port" => options with { ApiPort = Port(flag, Value()) },
                    "--lobby-port" => options with { LobbyPort = Port(flag, Value()) },
                    "--nodes" => options with { Nodes = Count(flag, Value()) },
                    "--kubelet" => options with { Kubelet = ParseKubelet(Value()) },
                    "--api-only" => options with { ApiOnly = true },
                    "--no-sample" => options with { Sample = false },
                    "--gameserver" => options with { GameServer = Value() },
                    _ => throw new FormatException($"unknown option '{args[i]}'"),
                };
            }
            catch (FormatException ex)
            {
                return (null, ex.Message);
            }
        }

        return (options, null);
    }

    private static KubeletKind ParseKubelet(string text) => text switch
    {
        "process" => KubeletKind.Process,
        "simulated" => KubeletKind.Simulated,
        _ => throw new FormatException($"--kubelet must be process or simulated, not '{text}'"),
    };

    private static int Port(string flag, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new FormatException($"{flag} must be a port number (0 = any free port), not '{text}'");

    private static int Count(string flag, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000
            ? n
            : throw new FormatException($"{flag} must be a number from 1 to 1000, not '{text}'");
}
