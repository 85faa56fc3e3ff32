using k8s;

namespace GridGame.LocalCluster.Nodes;

/// <summary>Which kubelet runs the pods bound to LocalCluster's nodes.</summary>
public enum KubeletKind
{
    /// <summary>Pods become Running/Ready without a process: for scale tests and benchmarks.</summary>
    Simulated,

    /// <summary>Each container runs as a local process listening on its node's loopback address (127.0.0.N).</summary>
    Process,
}

/// <summary>How the simulated kubelet runs a pod whose image matches a <see cref="LocalNodesOptions.SimulatedImages"/> glob.</summary>
public enum SimulatedImageBehavior
{
    /// <summary>Running and Ready after the start delay (what every other image does).</summary>
    Ready,

    /// <summary>Running, but its readiness probe never passes: the pod stays unready.</summary>
    NeverReady,

    /// <summary>Crashes from the start: CrashLoopBackOff, restartCount rising on the back-off schedule, never Ready.</summary>
    CrashLoop,
}

/// <summary>One fake node: its name, labels, capacity and addresses (for process nodes, give each its own 127.0.0.N).</summary>
public sealed record LocalNodeSpec(string Name)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string Cpu { get; init; } = "8";
    public string Memory { get; init; } = "16Gi";
    public int Pods { get; init; } = 110;
    public string InternalIP { get; init; } = "127.0.0.1";
    public string ExternalIP { get; init; } = "127.0.0.1";
}

/// <summary>Options of <see cref="LocalNodes.StartAsync"/>.</summary>
public sealed class LocalNodesOptions
{
    /// <summary>How to reach the API server (e.g. <c>LocalApiServer.ClientConfiguration()</c>).</summary>
    public required KubernetesClientConfiguration Client { get; init; }

    /// <summary>Number of identical nodes named <c>{NodeNamePrefix}{i}</c>; ignored when <see cref="Nodes"/> is set.</summary>
    public int NodeCount { get; init; } = 1;

    public string NodeNamePrefix { get; init; } = "local-node-";

    /// <summary>Explicit nodes (labels, capacity, addresses per node), instead of <see cref="NodeCount"/> identical ones.</summary>
    public IReadOnlyList<LocalNodeSpec>? Nodes { get; init; }

    public KubeletKind Kind { get; init; } = KubeletKind.Simulated;

    /// <summary>Run the scheduler (off when a test binds pods itself).</summary>
    public bool Scheduler { get; init; } = true;

    /// <summary>How often nodes renew their Lease in kube-node-lease.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often nodes post their (unchanged) Ready condition with a new lastHeartbeatTime.</summary>
    public TimeSpan NodeStatusInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Simulated kubelet: how long a bound pod waits before it is Running and Ready.</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Simulated kubelet: image glob (<c>*</c> = anything, whole reference) → how pods with a container of that image
    /// behave from the start, e.g. <c>["*:broken"] = NeverReady</c> to roll out a revision that never turns Ready.
    /// The first glob in ordinal order that matches any container's image wins.
    /// </summary>
    public IReadOnlyDictionary<string, SimulatedImageBehavior> SimulatedImages { get; init; } = new Dictionary<string, SimulatedImageBehavior>();

    /// <summary>Process kubelet: image glob (<c>*gridgame-gameserver*</c>) → argv of the local program that stands in for it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Images { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Process kubelet: the kubeconfig handed to containers as <c>KUBECONFIG</c> (null: none).</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>Process kubelet: where container logs and the pid registry live (default: a temp directory).</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Process kubelet: first restart back-off (doubles up to <see cref="MaxRestartBackoff"/>); 10s like the real kubelet.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRestartBackoff { get; init; } = TimeSpan.FromMinutes(5);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }
}
