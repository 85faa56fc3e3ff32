using System.Net;
using System.Text.Json.Nodes;
using GridGame.Operator.Tests.Fleets;
using k8s;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>
/// A GameFleet the API server stores but the operator cannot read (a number among the pod template's labels: the
/// CRD keeps template.metadata as free-form, as kube-apiserver does) is reported and skipped; it never stops the
/// fleet watch, so other fleets keep getting servers.
/// </summary>
public sealed class UndecodableObjectTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_fleet_the_operator_cannot_read_is_reported_and_other_fleets_still_get_servers()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await ApplyUnreadableFleetAsync(cluster, "broken");

        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 1));
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == 1, Within, "a fleet created after the unreadable one gets its server");

        var warning = (await Eventually.ValueAsync(() => cluster.EventsAsync("broken", "Undecodable"), e => e.Count > 0, Within, "a Warning Event on the unreadable fleet"))[0];
        warning.Type.Should().Be("Warning");
        warning.Message.Should().Contain("spec.template.metadata.labels");
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(cluster.Operator!.HttpUri, "metrics"));
        metrics.Should().Contain("gridgame_operator_informer_decode_errors_total{resource=\"gamefleets.gridgame.io\"}");
        (await http.GetAsync(new Uri(cluster.Operator.HttpUri, "healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);

        await cluster.DeleteFleetAsync("broken");
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("after", replicas: 1));
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("after"), p => p.Count == 1, Within, "the watch follows on after the unreadable fleet is deleted");
    }

    [Fact]
    public async Task An_operator_starting_beside_a_fleet_it_cannot_read_syncs_and_serves_the_others()
    {
        await using var cluster = await OperatorCluster.StartAsync(startOperator: false);
        await ApplyUnreadableFleetAsync(cluster, "broken");
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 1));

        await cluster.StartOperatorAsync();
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == 1, Within, "the list set the unreadable fleet aside and served the other");
        await Eventually.ValueAsync(() => cluster.EventsAsync("broken", "Undecodable"), e => e.Count > 0, Within, "a Warning Event on the unreadable fleet");
    }

    /// <summary>Applies, with the real kubectl, a valid fleet but for a number where the pod template has a label.</summary>
    private static async Task ApplyUnreadableFleetAsync(OperatorCluster cluster, string name)
    {
        var fleet = FleetBuilder.Fleet(name, replicas: 1);
        fleet.Metadata.Uid = null;
        var json = JsonNode.Parse(KubernetesJson.Serialize(fleet))!;
        json["spec"]!["template"]!["metadata"]!["labels"]!["app"] = 1;
        var dir = Directory.CreateTempSubdirectory("unreadable-fleet-");
        try
        {
            var file = Path.Combine(dir.FullName, "fleet.json");
            await File.WriteAllTextAsync(file, json.ToJsonString());
            await Kubectl.RunAsync(cluster, $"apply -f {file}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
