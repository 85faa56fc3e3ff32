using GridGame.Operator.Runtime;

namespace GridGame.Operator.Hosting;

/// <summary>An inclusive range of host ports the operator hands out to <c>Dynamic</c> game ports.</summary>
internal readonly record struct PortRange(int From, int To)
{
    public static PortRange Default => new(7000, 8000);

    public int Count => To - From + 1;

    public bool Contains(int port) => port >= From && port <= To;

    public override string ToString() => $"{From}-{To}";
}

/// <summary>Everything <c>gridgame-operator run</c> is configured with (flags, then environment, then defaults).</summary>
internal sealed record OperatorOptions
{
    /// <summary>Namespaces to watch; empty means all.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>
    /// Concurrent reconciles per controller. An allocation is three API round trips, so a burst of sessions is
    /// served at workers ÷ (3 × round trip); the queue never runs one key on two workers, so fleets and sessions stay
    /// serialised per object whatever this is.
    /// </summary>
    public int Workers { get; init; } = 16;

    public bool LeaderElectionEnabled { get; init; } = true;

    public LeaderElectionOptions LeaderElection { get; init; } = new();

    public PortRange PortRange { get; init; } = PortRange.Default;

    /// <summary>Port of /healthz, /readyz and /metrics; 0 picks a free one (see <c>OperatorHost.HttpPort</c>).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Address the HTTP endpoints bind to: all interfaces in a pod, loopback in tests and local mode.</summary>
    public string HttpAddress { get; init; } = "0.0.0.0";

    public string? Kubeconfig { get; init; }

    /// <summary>How long a graceful stop may take before the host gives up waiting.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Every primary object is reconciled again this often, as a safety net.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public InformerOptions Informers { get; init; } = new();

    /// <summary>JSON console logs (containers); tests turn them off.</summary>
    public bool JsonLogs { get; init; } = true;
}
