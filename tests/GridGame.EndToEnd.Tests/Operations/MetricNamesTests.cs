using GridGame.Crds;
using k8s;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>
/// Every metric a dashboard panel, a dashboard variable or an alert names is served by the real programs: the
/// operator and a game server of `gridgame-operator local`, scraped at /metrics after a game has been played
/// on it. The few that come from elsewhere in a kube-prometheus-stack install are named here, with why.
/// </summary>
[Collection(LocalModeCollection.Name)]
public sealed class MetricNamesTests(LocalModeFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>Series that neither program serves: Prometheus's own, and kube-state-metrics' (shipped with kube-prometheus-stack).</summary>
    private static readonly Dictionary<string, string> Elsewhere = new(StringComparer.Ordinal)
    {
        ["up"] = "Prometheus records it for every scrape target",
        ["kube_pod_labels"] = "kube-state-metrics, with the gridgame.io pod-label allowlist of docs/dashboards.md",
        ["kube_pod_status_ready"] = "kube-state-metrics",
        ["kube_pod_container_status_restarts_total"] = "kube-state-metrics",
    };

    [Fact]
    public async Task Every_metric_the_dashboards_and_alerts_use_is_served_by_the_operator_or_a_game_server()
    {
        var local = fixture.Local;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var gameServerMetrics = await PlayOneClaimAsync(local, http);
        var served = Exposition.MetricNames(await http.GetStringAsync(new Uri(local.Operator, "/metrics")))
            .Concat(Exposition.MetricNames(gameServerMetrics))
            .ToHashSet(StringComparer.Ordinal);

        var queries = MonitoringFiles.AlertQueries().Concat(MonitoringFiles.DashboardQueries()).ToList();
        var used = queries.SelectMany(q => PromQl.MetricNames(q.Expression).Select(name => (q.Source, Name: name))).ToList();
        var missing = used.Where(u => !served.Contains(u.Name) && !Elsewhere.ContainsKey(u.Name)).Select(u => $"{u.Source}: {u.Name}");

        missing.Should().BeEmpty("every metric a panel or alert names must exist (served: {0})", string.Join(", ", served.Order(StringComparer.Ordinal)));
        used.Select(u => u.Name).Should().Contain(Elsewhere.Keys, "the list of metrics from elsewhere names only ones in use");
        used.Select(u => u.Name).Where(served.Contains).Distinct().Should().HaveCountGreaterThan(15);
    }

    /// <summary>A session allocated and one claim played, so every labelled series has a child; returns the server's /metrics.</summary>
    private static async Task<string> PlayOneClaimAsync(LocalModeProcess local, HttpClient http)
    {
        var created = await local.KubectlWithInputAsync("""
            apiVersion: gridgame.io/v1
            kind: GameSession
            metadata: { generateName: metrics-, namespace: default }
            spec:
              fleetName: arena
              players: [carol, dave]
              game: { boardSize: 3, minPlayers: 2 }
            """, "create", "-f", "-", "-o", "name");
        var name = created.Trim().Split('/')[1];
        try
        {
            await local.KubectlAsync("wait", $"gamesession/{name}", "--for=jsonpath={.status.phase}=Allocated", "--timeout=90s");
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(local.Kubeconfig));
            var session = await client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(
                GridGameApi.Group, GridGameApi.Version, "default", GameSession.KubePluralName, name);
            var status = session.Status!;
            await using var carol = await GamePlayer.ConnectAsync(status, "carol", Bound);
            await using var dave = await GamePlayer.ConnectAsync(status, "dave", Bound);
            await carol.JoinAsync(name);
            await dave.JoinAsync(name);
            await carol.ClaimAsync(0, 0);
            // /metrics is on the server's ops port, which the process kubelet picks and tells the server in PORT_OPS.
            var opsPort = (await local.KubectlAsync("exec", status.ServerName!, "--", "printenv", "PORT_OPS")).Trim();
            return await http.GetStringAsync(new Uri($"http://{status.Address}:{opsPort}/metrics"));
        }
        finally
        {
            await local.KubectlAsync("delete", "gamesession", name, "--wait=false");
        }
    }
}

/// <summary>The metric names of a Prometheus text exposition: histograms and summaries with their series suffixes.</summary>
internal static class Exposition
{
    public static IReadOnlySet<string> MetricNames(string text)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                var (name, kind) = (parts[2], parts[3]);
                names.Add(name);
                string[] suffixes = kind switch
                {
                    "histogram" => ["_bucket", "_sum", "_count"],
                    "summary" => ["_sum", "_count"],
                    _ => [],
                };
                names.UnionWith(suffixes.Select(s => name + s));
            }
            else if (!line.StartsWith('#'))
            {
                names.Add(line.Split('{', ' ')[0]);
            }
        }
        return names;
    }
}
