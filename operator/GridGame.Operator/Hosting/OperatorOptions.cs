using System.Globalization;
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

/// <summary>Reads <see cref="OperatorOptions"/> from command-line flags and environment variables (flags win).</summary>
internal static class OperatorOptionsParser
{
    public const string Usage = """
        gridgame-operator run [options]          (every option may also come from the environment variable shown)
          --namespace NS            watch only NS; repeatable (GRIDGAME_NAMESPACES=a,b); default all namespaces
          --workers N               concurrent reconciles per controller (GRIDGAME_WORKERS, default 16)
          --leader-election-name N  Lease name (GRIDGAME_LEADER_ELECTION_NAME, default gridgame-operator)
          --leader-election-namespace NS  Lease namespace (GRIDGAME_LEADER_ELECTION_NAMESPACE, else POD_NAMESPACE, else default)
          --leader-elect BOOL       run leader election (GRIDGAME_LEADER_ELECT, default true)
          --lease-duration D        (GRIDGAME_LEASE_DURATION, default 15s); D is seconds or 500ms/15s/1m
          --renew-deadline D        (GRIDGAME_RENEW_DEADLINE, default 10s)
          --retry-period D          (GRIDGAME_RETRY_PERIOD, default 2s)
          --port-range A-B          host ports for Dynamic game ports (GRIDGAME_PORT_RANGE, default 7000-8000)
          --http-port N             /healthz /readyz /metrics (GRIDGAME_HTTP_PORT, default 8080)
          --http-address A          bind address (GRIDGAME_HTTP_ADDRESS, default 0.0.0.0)
          --shutdown-timeout D      (GRIDGAME_SHUTDOWN_TIMEOUT, default 20s)
          --informer-unhealthy-after D  /healthz fails once an informer's lists and watches have failed this long
                                    (GRIDGAME_INFORMER_UNHEALTHY_AFTER, default 2m)
          --kubeconfig FILE         (KUBECONFIG; default in-cluster, else ~/.kube/config)
        """;

    private static readonly Dictionary<string, string> EnvironmentNames = new(StringComparer.Ordinal)
    {
        ["--namespace"] = "GRIDGAME_NAMESPACES",
        ["--workers"] = "GRIDGAME_WORKERS",
        ["--leader-election-name"] = "GRIDGAME_LEADER_ELECTION_NAME",
        ["--leader-election-namespace"] = "GRIDGAME_LEADER_ELECTION_NAMESPACE",
        ["--leader-elect"] = "GRIDGAME_LEADER_ELECT",
        ["--lease-duration"] = "GRIDGAME_LEASE_DURATION",
        ["--renew-deadline"] = "GRIDGAME_RENEW_DEADLINE",
        ["--retry-period"] = "GRIDGAME_RETRY_PERIOD",
        ["--port-range"] = "GRIDGAME_PORT_RANGE",
        ["--http-port"] = "GRIDGAME_HTTP_PORT",
        ["--http-address"] = "GRIDGAME_HTTP_ADDRESS",
        ["--shutdown-timeout"] = "GRIDGAME_SHUTDOWN_TIMEOUT",
        ["--informer-unhealthy-after"] = "GRIDGAME_INFORMER_UNHEALTHY_AFTER",
        ["--kubeconfig"] = "KUBECONFIG",
    };

    /// <summary>Parses; on a bad flag or value returns null options and a message for the user.</summary>
    public static (OperatorOptions? Options, string? Error) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
                value = i + 1 < args.Count ? args[++i] : null;
            }

            if (!EnvironmentNames.ContainsKey(name))
            {
                return (null, $"unknown option '{arg}'");
            }

            if (value is null)
            {
                return (null, $"option '{name}' needs a value");
            }

            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }

            list.Add(value);
        }

        string? Get(string flag) =>
            values.TryGetValue(flag, out var list) ? list[^1] : environment(EnvironmentNames[flag]) is { Length: > 0 } env ? env : null;

        try
        {
            var defaults = new OperatorOptions();
            var election = defaults.LeaderElection;
            var namespaces = values.TryGetValue("--namespace", out var nsFlags)
                ? nsFlags.SelectMany(SplitList).ToList()
                : SplitList(environment("GRIDGAME_NAMESPACES") ?? string.Empty).ToList();
            var options = defaults with
            {
                Namespaces = namespaces.Distinct(StringComparer.Ordinal).ToList(),
                Workers = Get("--workers") is { } w ? PositiveInt("--workers", w) : defaults.Workers,
                LeaderElectionEnabled = Get("--leader-elect") is { } le ? Bool("--leader-elect", le) : true,
                LeaderElection = election with
                {
                    LeaseName = Get("--leader-election-name") ?? election.LeaseName,
                    LeaseNamespace = Get("--leader-election-namespace") ?? (environment("POD_NAMESPACE") is { Length: > 0 } podNs ? podNs : election.LeaseNamespace),
                    Identity = environment("POD_NAME") is { Length: > 0 } pod ? $"{pod}_{Guid.NewGuid():N}" : election.Identity,
                    LeaseDuration = Get("--lease-duration") is { } ld ? Duration("--lease-duration", ld) : election.LeaseDuration,
                    RenewDeadline = Get("--renew-deadline") is { } rd ? Duration("--renew-deadline", rd) : election.RenewDeadline,
                    RetryPeriod = Get("--retry-period") is { } rp ? Duration("--retry-period", rp) : election.RetryPeriod,
                },
                PortRange = Get("--port-range") is { } pr ? Range(pr) : defaults.PortRange,
                HttpPort = Get("--http-port") is { } hp ? Port("--http-port", hp) : defaults.HttpPort,
                HttpAddress = Get("--http-address") ?? defaults.HttpAddress,
                ShutdownTimeout = Get("--shutdown-timeout") is { } st ? Duration("--shutdown-timeout", st) : defaults.ShutdownTimeout,
                Informers = Get("--informer-unhealthy-after") is { } iu
                    ? defaults.Informers with { UnhealthyAfter = Duration("--informer-unhealthy-after", iu) }
                    : defaults.Informers,
                Kubeconfig = Get("--kubeconfig"),
            };
            if (options.LeaderElection.RenewDeadline >= options.LeaderElection.LeaseDuration)
            {
                return (null, "--renew-deadline must be shorter than --lease-duration");
            }

            if (options.LeaderElection.LeaseDuration < TimeSpan.FromSeconds(1))
            {
                return (null, "--lease-duration must be at least 1s (the Lease stores whole seconds)");
            }

            return (options, null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Seconds (<c>15</c>) or a number with a unit: <c>500ms</c>, <c>15s</c>, <c>2m</c>.</summary>
    public static TimeSpan Duration(string flag, string text)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new FormatException($"{flag}: '{text}' is not a positive duration (e.g. 15s, 500ms, 1m)");
        }

        return TimeSpan.FromSeconds(value * unit);
    }

    private static PortRange Range(string text)
    {
        var parts = text.Split('-', 2);
        if (parts.Length != 2)
        {
            throw new FormatException($"--port-range: '{text}' is not FROM-TO");
        }

        var range = new PortRange(Port("--port-range", parts[0]), Port("--port-range", parts[1]));
        return range.From <= range.To && range.From > 0
            ? range
            : throw new FormatException($"--port-range: '{text}' is empty or starts at 0");
    }

    private static int Port(string flag, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new FormatException($"{flag}: '{text}' is not a port number");

    private static int PositiveInt(string flag, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new FormatException($"{flag}: '{text}' is not a positive number");

    private static bool Bool(string flag, string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new FormatException($"{flag}: '{text}' is not true or false"),
    };

    private static IEnumerable<string> SplitList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
