using GridGame.LocalCluster.Nodes;

namespace GridGame.Operator.Local;

/// <summary>The flags of <c>gridgame-operator local</c> (docs/reference/configuration.md).</summary>
internal sealed record LocalModeOptions
{
    public string Kubeconfig { get; init; } = Path.Combine(".gridgame", "kubeconfig");

    public int ApiPort { get; init; }

    public int LobbyPort { get; init; }

    public KubeletKind Kubelet { get; init; } = KubeletKind.Process;

    public int Nodes { get; init; } = 1;

    public bool ApiOnly { get; init; }

    public bool Sample { get; init; } = true;

    public string? GameServer { get; init; }
}
