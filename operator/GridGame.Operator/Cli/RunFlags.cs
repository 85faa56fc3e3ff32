using System.CommandLine;
using GridGame.Operator.Hosting;
using static GridGame.Operator.Cli.FlagValues;

namespace GridGame.Operator.Cli;

/// <summary>
/// The flags of <c>gridgame-operator run</c> and how they become <see cref="OperatorOptions"/>: a flag wins, else its
/// environment variable (for a Deployment's env), else the default.
/// </summary>
internal sealed class RunFlags
{
    private static readonly OperatorOptions Defaults = new();

    private readonly Option<string[]> _namespaces = new("--namespace")
    {
        Description = "Watch only this namespace; repeatable, or comma-separated [env GRIDGAME_NAMESPACES=a,b; default: all namespaces]",
        HelpName = "NS",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<int?> _workers = Single("--workers", "N", "Concurrent reconciles per controller [env GRIDGAME_WORKERS; default 16]", PositiveInt);
    private readonly Option<string?> _leaseName = Text("--leader-election-name", "NAME", "Name of the leader-election Lease [env GRIDGAME_LEADER_ELECTION_NAME; default gridgame-operator]");
    private readonly Option<string?> _leaseNamespace = Text("--leader-election-namespace", "NS", "Namespace of the Lease [env GRIDGAME_LEADER_ELECTION_NAMESPACE, else POD_NAMESPACE; default default]");
    // Text, converted in Bind: System.CommandLine lets a bool-typed flag take only true/false as its value.
    private readonly Option<string?> _leaderElect = Text("--leader-elect", "BOOL", "Run leader election, so that only one replica reconciles (true/false, yes/no, 1/0) [env GRIDGAME_LEADER_ELECT; default true]");
    private readonly Option<TimeSpan?> _leaseDuration = Single("--lease-duration", "D", "How long a standby waits after the last renewal before taking the lease; D is seconds or 500ms/15s/1m, at least 1s [env GRIDGAME_LEASE_DURATION; default 15s]", Duration);
    private readonly Option<TimeSpan?> _renewDeadline = Single("--renew-deadline", "D", "How long the leader keeps trying to renew before it stops leading; shorter than --lease-duration [env GRIDGAME_RENEW_DEADLINE; default 10s]", Duration);
    private readonly Option<TimeSpan?> _retryPeriod = Single("--retry-period", "D", "How often a candidate tries to acquire and the leader renews [env GRIDGAME_RETRY_PERIOD; default 2s]", Duration);
    private readonly Option<PortRange?> _portRange = Single("--port-range", "FROM-TO", "Host ports handed out to Dynamic game ports [env GRIDGAME_PORT_RANGE; default 7000-8000]", Range);
    private readonly Option<int?> _httpPort = Single("--http-port", "N", "Port of /healthz /readyz /metrics; 0 picks a free one [env GRIDGAME_HTTP_PORT; default 8080]", Port);
    private readonly Option<string?> _httpAddress = Text("--http-address", "ADDRESS", "Address the HTTP endpoints bind to [env GRIDGAME_HTTP_ADDRESS; default 0.0.0.0]");
    private readonly Option<TimeSpan?> _shutdownTimeout = Single("--shutdown-timeout", "D", "How long a graceful stop may take [env GRIDGAME_SHUTDOWN_TIMEOUT; default 20s]", Duration);
    private readonly Option<TimeSpan?> _informerUnhealthyAfter = Single("--informer-unhealthy-after", "D", "/healthz fails once every list and watch of an informer has failed this long, so the kubelet restarts the operator [env GRIDGAME_INFORMER_UNHEALTHY_AFTER; default 2m]", Duration);
    private readonly Option<string?> _kubeconfig = Text("--kubeconfig", "FILE", "Kubeconfig of the cluster to run against [env KUBECONFIG; default: in-cluster, else ~/.kube/config]");

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            _namespaces, _workers, _leaseName, _leaseNamespace, _leaderElect, _leaseDuration, _renewDeadline, _retryPeriod,
            _portRange, _httpPort, _httpAddress, _shutdownTimeout, _informerUnhealthyAfter, _kubeconfig,
        })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The options of a parse without errors; a bad environment value or combination throws <see cref="FormatException"/> naming the flag.</summary>
    public OperatorOptions Bind(ParseResult result, Func<string, string?> environment)
    {
        string? Environment(string name) => environment(name) is { Length: > 0 } value ? value : null;

        T Value<T>(Option<T?> option, string variable, Func<string, T> convert, T fallback)
            where T : struct =>
            result.GetValue(option) ?? (Environment(variable) is { } text ? FromText(option.Name, text, convert) : fallback);

        string? TextValue(Option<string?> option, string variable) => result.GetValue(option) ?? Environment(variable);

        var election = Defaults.LeaderElection;
        var namespaces = result.GetValue(_namespaces) is { Length: > 0 } flags ? flags.SelectMany(List) : List(Environment("GRIDGAME_NAMESPACES") ?? string.Empty);
        var options = Defaults with
        {
            Namespaces = namespaces.Distinct(StringComparer.Ordinal).ToList(),
            Workers = Value(_workers, "GRIDGAME_WORKERS", PositiveInt, Defaults.Workers),
            LeaderElectionEnabled = TextValue(_leaderElect, "GRIDGAME_LEADER_ELECT") is { } elect ? FromText(_leaderElect.Name, elect, Bool) : Defaults.LeaderElectionEnabled,
            LeaderElection = election with
            {
                LeaseName = TextValue(_leaseName, "GRIDGAME_LEADER_ELECTION_NAME") ?? election.LeaseName,
                LeaseNamespace = TextValue(_leaseNamespace, "GRIDGAME_LEADER_ELECTION_NAMESPACE") ?? Environment("POD_NAMESPACE") ?? election.LeaseNamespace,
                Identity = Environment("POD_NAME") is { } pod ? $"{pod}_{Guid.NewGuid():N}" : election.Identity,
                LeaseDuration = Value(_leaseDuration, "GRIDGAME_LEASE_DURATION", Duration, election.LeaseDuration),
                RenewDeadline = Value(_renewDeadline, "GRIDGAME_RENEW_DEADLINE", Duration, election.RenewDeadline),
                RetryPeriod = Value(_retryPeriod, "GRIDGAME_RETRY_PERIOD", Duration, election.RetryPeriod),
            },
            PortRange = Value(_portRange, "GRIDGAME_PORT_RANGE", Range, Defaults.PortRange),
            HttpPort = Value(_httpPort, "GRIDGAME_HTTP_PORT", Port, Defaults.HttpPort),
            HttpAddress = TextValue(_httpAddress, "GRIDGAME_HTTP_ADDRESS") ?? Defaults.HttpAddress,
            ShutdownTimeout = Value(_shutdownTimeout, "GRIDGAME_SHUTDOWN_TIMEOUT", Duration, Defaults.ShutdownTimeout),
            Informers = Defaults.Informers with { UnhealthyAfter = Value(_informerUnhealthyAfter, "GRIDGAME_INFORMER_UNHEALTHY_AFTER", Duration, Defaults.Informers.UnhealthyAfter) },
            Kubeconfig = TextValue(_kubeconfig, "KUBECONFIG"),
        };

        if (options.LeaderElection.RenewDeadline >= options.LeaderElection.LeaseDuration)
        {
            throw new FormatException("--renew-deadline must be shorter than --lease-duration");
        }

        return options.LeaderElection.LeaseDuration >= TimeSpan.FromSeconds(1)
            ? options
            : throw new FormatException("--lease-duration must be at least 1s (the Lease stores whole seconds)");
    }
}
