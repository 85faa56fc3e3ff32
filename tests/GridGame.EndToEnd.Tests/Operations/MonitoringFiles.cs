using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>One PromQL expression of the monitoring config and where it comes from.</summary>
internal sealed record Query(string Source, string Expression);

/// <summary>The alert rules (config/monitoring/alerts.yaml) and the dashboards' queries (config/monitoring/dashboards).</summary>
internal static partial class MonitoringFiles
{
    public const string Alerts = "config/monitoring/alerts.yaml";
    public const string AlertTests = "config/monitoring/tests/alerts_test.yaml";
    public const string Dashboards = "config/monitoring/dashboards";

    /// <summary>The PrometheusRule's spec: the rule-file content promtool reads.</summary>
    public static JsonNode RuleGroups() => Yaml.ReadFile(Alerts)!["spec"]!;

    public static IReadOnlyList<JsonObject> AlertRules() =>
        [.. RuleGroups()["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject())];

    public static IReadOnlyList<Query> AlertQueries() =>
        [.. AlertRules().Select(r => new Query($"alert {r["alert"]}", (string)r["expr"]!))];

    public static IReadOnlyList<(string File, JsonObject Dashboard)> DashboardFiles() =>
        [.. Directory.GetFiles(Path.Combine(Built.Root, Dashboards), "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!.AsObject()))];

    /// <summary>Every panel target's expression and every query variable's metric selector.</summary>
    public static IReadOnlyList<Query> DashboardQueries()
    {
        var queries = new List<Query>();
        foreach (var (file, dashboard) in DashboardFiles())
        {
            foreach (var panel in dashboard["panels"]!.AsArray())
            {
                foreach (var target in panel!["targets"]!.AsArray())
                {
                    queries.Add(new Query($"{file}: panel '{panel["title"]}'", (string)target!["expr"]!));
                }
            }
            foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => (string?)v!["type"] == "query"))
            {
                var text = (string)variable!["query"]!["query"]!;
                var labelValues = LabelValues().Match(text);
                labelValues.Success.Should().BeTrue($"{file}: variable {variable["name"]} should be label_values(selector, label), not '{text}'");
                queries.Add(new Query($"{file}: variable {variable["name"]}", labelValues.Groups["selector"].Value));
            }
        }
        return queries;
    }

    /// <summary>An expression as Prometheus sees it once Grafana has put in the template variables' values.</summary>
    public static string WithVariables(string expression) =>
        expression.Replace("$namespace", ".*", StringComparison.Ordinal).Replace("$fleet", ".*", StringComparison.Ordinal);

    [GeneratedRegex(@"^label_values\((?<selector>.+),\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")]
    private static partial Regex LabelValues();
}
