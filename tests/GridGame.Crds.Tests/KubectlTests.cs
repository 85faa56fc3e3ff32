using System.Text.Json.Nodes;
using GridGame.LocalCluster;

namespace GridGame.Crds.Tests;

/// <summary>
/// The generated CRDs and the samples through the real kubectl against LocalCluster: what a newcomer types.
/// One API server for the class; the samples name namespace default, so each test uses its own fleet name.
/// </summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private LocalApiServer? _server;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync(new LocalApiServerOptions());
        _kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("gridgame-crds-kubectl-").FullName, "kubeconfig");
        _server.WriteKubeconfig(_kubeconfig);
        Kubectl("apply", "-k", "config/crd").ExitCode.Should().Be(0);
        await WaitUntilServedAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(Path.GetDirectoryName(_kubeconfig)!, recursive: true);
    }

    [Fact]
    public void The_samples_create_as_they_are_and_come_back_defaulted()
    {
        Kubectl("create", "-f", "config/samples/gamefleet.yaml").Should().Be((0, "gamefleet.gridgame.io/arena created\n"));
        var session = Kubectl("create", "-f", "config/samples/gamesession.yaml");
        var fleet = JsonNode.Parse(Kubectl("get", "-n", "default", "gamefleet", "arena", "-o", "json").Output)!;

        session.ExitCode.Should().Be(0, session.Output);
        session.Output.Should().MatchRegex(@"^gamesession.gridgame.io/match-[a-z0-9]{5} created\n$");
        fleet["spec"]!["game"]!["claimCooldownMs"]!.GetValue<int>().Should().Be(100);
        fleet["spec"]!["deletion"]!["policy"]!.GetValue<string>().Should().Be("Drain");
        fleet["spec"]!["strategy"]!["blueGreen"]!["autoPromote"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public void An_invalid_fleet_is_refused_with_the_field_named()
    {
        var file = SampleFleet("invalid").Replace("boardSize: 8", "boardSize: 100", StringComparison.Ordinal);

        var (exitCode, output) = Kubectl("create", "-f", WriteTemp(file));

        exitCode.Should().NotBe(0);
        output.Should().Contain("spec.game.boardSize: Invalid value: 100: spec.game.boardSize in body should be less than or equal to 64");
    }

    /// <summary>
    /// kube-apiserver repeats a value its schema refuses whole, however long (apimachinery's field.Error.ErrorBody quotes
    /// it as it is, in the message and in the cause): LocalCluster does the same. Our own refusals cut it short
    /// (<c>EchoedValue</c>).
    /// </summary>
    [Fact]
    public void An_unsupported_enum_value_is_refused_and_repeated_whole_as_kube_apiserver_does()
    {
        var value = new string('x', 100_000);
        var file = SampleFleet("long-enum").Replace("scheduling: Packed", "scheduling: " + value, StringComparison.Ordinal);

        var (exitCode, output) = Kubectl("create", "-f", WriteTemp(file));

        exitCode.Should().NotBe(0);
        output.Should().Contain($"spec.scheduling: Unsupported value: \"{value}\": supported values: \"Packed\", \"Distributed\"");
    }

    [Fact]
    public void Kubectl_get_shows_the_printer_columns_and_the_category()
    {
        Kubectl("create", "-f", WriteTemp(SampleFleet("columns"))).ExitCode.Should().Be(0);

        var fleets = Kubectl("get", "gf", "columns");
        var category = Kubectl("get", "gridgame");

        fleets.Output.Split('\n')[0].Should().MatchRegex(@"^NAME\s+DESIRED\s+READY\s+ALLOCATED\s+DRAINING\s+ACTIVE\s+ROLLOUT\s+AGE$");
        fleets.Output.Split('\n')[1].Should().MatchRegex(@"^columns\s+2\s");
        category.Output.Should().Contain("gamefleet.gridgame.io/columns");
    }

    [Fact]
    public void Kubectl_scale_sets_spec_replicas_through_the_scale_subresource()
    {
        Kubectl("create", "-f", WriteTemp(SampleFleet("scaled"))).ExitCode.Should().Be(0);

        var scaled = Kubectl("scale", "gamefleet/scaled", "--replicas=5");

        scaled.ExitCode.Should().Be(0, scaled.Output);
        Kubectl("get", "gf", "scaled", "-o", "jsonpath={.spec.replicas}").Output.Should().Be("5");
    }

    private static string SampleFleet(string name) =>
        Repository.Read("config/samples/gamefleet.yaml").Replace("name: arena", "name: " + name, StringComparison.Ordinal);

    private (int ExitCode, string Output) Kubectl(params string[] args) =>
        Repository.Run("kubectl", ["--kubeconfig", _kubeconfig, "--request-timeout=20s", .. args]);

    private string WriteTemp(string content)
    {
        var path = Path.Combine(Path.GetDirectoryName(_kubeconfig)!, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    private Task WaitUntilServedAsync() =>
        Eventually.UntilAsync(() => Kubectl("get", "gamefleets", "-A").ExitCode == 0, "the GridGame CRDs should be served soon after kubectl apply -k config/crd", TimeSpan.FromSeconds(20));
}
