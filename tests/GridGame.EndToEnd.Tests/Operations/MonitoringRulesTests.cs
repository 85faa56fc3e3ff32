using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>
/// The alerts and dashboards as Prometheus and Grafana take them: promtool checks every expression and runs the
/// alerts' unit tests (config/monitoring/tests), and every alert has tests that fire and tests that stay quiet.
/// </summary>
public sealed class MonitoringRulesTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("gridgame-promtool-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Promtool_accepts_the_rules_of_the_PrometheusRule()
    {
        var rules = WriteRules();

        var output = await Tool.SucceedsAsync("promtool", ["check", "rules", rules]);

        output.Should().Contain($"SUCCESS: {MonitoringFiles.AlertRules().Count} rules found");
    }

    [Fact]
    public async Task The_alerts_pass_their_promtool_unit_tests()
    {
        WriteRules();
        var tests = Path.Combine(_work.FullName, "alerts_test.yaml");
        File.Copy(Path.Combine(Built.Root, MonitoringFiles.AlertTests), tests);

        var output = await Tool.SucceedsAsync("promtool", ["test", "rules", tests]);

        output.Should().Contain("SUCCESS");
    }

    [Fact]
    public void Every_alert_has_a_unit_test_where_it_fires_and_one_where_it_stays_quiet()
    {
        var checks = Yaml.ReadFile(MonitoringFiles.AlertTests)!["tests"]!.AsArray()
            .SelectMany(t => t!["alert_rule_test"]?.AsArray() ?? [])
            .Select(c => (Alert: (string)c!["alertname"]!, Fires: (c["exp_alerts"]?.AsArray().Count ?? 0) > 0))
            .ToList();

        foreach (var alert in MonitoringFiles.AlertRules().Select(r => (string)r["alert"]!))
        {
            checks.Should().Contain((alert, true), $"{alert} needs a unit test where it fires");
            checks.Should().Contain((alert, false), $"{alert} needs a unit test where it stays quiet");
        }
        checks.Select(c => c.Alert).Should().BeSubsetOf(MonitoringFiles.AlertRules().Select(r => (string)r["alert"]!), "tests name only alerts that exist");
    }

    [Fact]
    public void Every_alert_links_its_section_of_the_runbooks()
    {
        var runbooks = File.ReadAllLines(Path.Combine(Built.Root, "docs/runbooks.md"));

        foreach (var rule in MonitoringFiles.AlertRules())
        {
            var alert = (string)rule["alert"]!;
            ((string?)rule["annotations"]?["runbook_url"]).Should().Be($"docs/runbooks.md#{alert.ToLowerInvariant()}", $"{alert} links its runbook");
            runbooks.Should().Contain($"## {alert}", $"docs/runbooks.md has a section for {alert}");
            ((string?)rule["labels"]?["severity"]).Should().BeOneOf(["critical", "warning"], $"{alert} has a severity for routing");
        }
    }

    [Fact]
    public async Task Promtool_parses_every_dashboard_query()
    {
        // Each query, with the template variables as Grafana fills them in, as a recording rule of its own.
        var queries = MonitoringFiles.DashboardQueries();
        var rules = new JsonObject
        {
            ["groups"] = new JsonArray(new JsonObject
            {
                ["name"] = "dashboards",
                ["rules"] = new JsonArray([.. queries.Select((q, i) => (JsonNode)new JsonObject
                {
                    ["record"] = $"dashboard:query_{i}",
                    ["expr"] = MonitoringFiles.WithVariables(q.Expression),
                })]),
            }),
        };
        var file = Path.Combine(_work.FullName, "dashboards.yaml");
        await File.WriteAllTextAsync(file, rules.ToJsonString());

        var output = await Tool.SucceedsAsync("promtool", ["check", "rules", file]);

        output.Should().Contain($"SUCCESS: {queries.Count} rules found");
    }

    [Fact]
    public void Latency_panels_take_quantiles_of_the_bucket_rates_over_five_minutes()
    {
        var histogramQueries = MonitoringFiles.DashboardQueries().Where(q => q.Expression.Contains("_bucket", StringComparison.Ordinal)).ToList();

        histogramQueries.Should().NotBeEmpty();
        foreach (var query in histogramQueries)
        {
            query.Expression.Should().StartWith("histogram_quantile(", query.Source).And.MatchRegex(@"rate\([a-z_]+_bucket(\{[^}]*\})?\[5m\]\)", query.Source);
        }
        var titles = MonitoringFiles.DashboardFiles().Select(d => (string)d.Dashboard["title"]!);
        titles.Should().BeEquivalentTo("GridGame / Players & games", "GridGame / Fleet & allocation", "GridGame / Operator");
    }

    [Fact]
    public void The_players_and_fleet_dashboards_have_namespace_and_fleet_variables_their_queries_use()
    {
        foreach (var (file, dashboard) in MonitoringFiles.DashboardFiles().Where(d => d.File is "gridgame-players.json" or "gridgame-fleet.json"))
        {
            dashboard["templating"]!["list"]!.AsArray().Select(v => (string)v!["name"]!).Should().Contain(["datasource", "namespace", "fleet"], file);
            var queries = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => (string)t!["expr"]!).ToList();
            queries.Should().Contain(q => q.Contains("$fleet", StringComparison.Ordinal), file);
            queries.Should().Contain(q => q.Contains("$namespace", StringComparison.Ordinal), file);
        }
    }

    [Fact]
    public async Task Kustomize_ships_each_dashboard_as_a_ConfigMap_for_the_Grafana_sidecar_and_labels_monitoring_objects_for_the_release()
    {
        var built = await Tool.SucceedsAsync("kubectl", ["kustomize", "config/overlays/prod"]);
        var objects = Yaml.Documents(built).Select(o => o!.AsObject()).ToList();

        var dashboards = objects.Where(o => (string?)o["metadata"]!["labels"]?["grafana_dashboard"] == "1").ToList();
        dashboards.Select(o => (string)o["kind"]!).Should().AllBe("ConfigMap");
        foreach (var (file, dashboard) in MonitoringFiles.DashboardFiles())
        {
            var map = dashboards.Should().ContainSingle(o => o["data"]![file] != null, file).Subject;
            JsonNode.DeepEquals(JsonNode.Parse((string)map["data"]![file]!), dashboard).Should().BeTrue($"the ConfigMap holds {file} as it is");
        }
        objects.Where(o => ((string)o["apiVersion"]!).StartsWith("monitoring.coreos.com/", StringComparison.Ordinal))
            .Should().HaveCount(3).And.OnlyContain(o => (string?)o["metadata"]!["labels"]!["release"] == "kube-prometheus-stack");
    }

    private string WriteRules()
    {
        var path = Path.Combine(_work.FullName, "rules.yaml");
        File.WriteAllText(path, MonitoringFiles.RuleGroups().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
