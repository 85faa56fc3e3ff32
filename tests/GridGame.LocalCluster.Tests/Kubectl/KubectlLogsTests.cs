using System.Text.Json.Nodes;
using GridGame.LocalCluster.Tests.Kubelets;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>The real <c>kubectl logs</c> against LocalCluster with the process kubelet: what anyone types first when a server misbehaves.</summary>
public sealed class KubectlLogsTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private KubectlProcessCluster _cluster = null!;
    private KubectlRunner _kubectl = null!;
    private Kubernetes _client = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KubectlProcessCluster.StartAsync("gg-kubectl-logs-");
        (_kubectl, _client, _dir) = (_cluster.Kubectl, _cluster.Client, _cluster.Dir);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task RunningAsync(V1Pod pod, string expected, string container = "c")
    {
        await _client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        await Eventually.ValueAsync(async () =>
        {
            var (code, stdout, _) = await _kubectl.RunAsync($"logs {pod.Metadata.Name} -c {container}");
            return code == 0 && stdout.Contains(expected, StringComparison.Ordinal) ? stdout : null;
        }, Bound, $"for {expected.Trim()} from kubectl logs {pod.Metadata.Name}");
    }

    [Fact]
    public async Task Logs_prints_the_containers_output()
    {
        await RunningAsync(PodLogTests.ShellPod("web", "echo listening; echo ready >&2; exec sleep 60"), "ready");

        (await _kubectl.OkAsync("logs web")).Should().Be("listening\nready\n");
        (await _kubectl.OkAsync("logs pod/web --tail=1")).Should().Be("ready\n");
        (await _kubectl.OkAsync("logs web --timestamps --tail=1")).Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ready\n$");
        (await _kubectl.OkAsync("logs web --since=1h")).Should().Be("listening\nready\n", "the running instance may have written any of it in the last hour");
        (await _kubectl.OkAsync("logs web --since-time=2099-01-01T00:00:00Z")).Should().BeEmpty("nothing was written after a time to come");
        await _kubectl.OkAsync("label pod web app=game");
        (await _kubectl.OkAsync("logs -l app=game --prefix")).Should().Be("[pod/web/c] listening\n[pod/web/c] ready\n");
    }

    [Fact]
    public async Task Logs_picks_the_default_container_or_the_one_named()
    {
        var pod = PodLogTests.ShellPod("pair", "echo from c; exec sleep 60", moreContainers: "side");
        await RunningAsync(pod, "i am side", container: "side");

        (await _kubectl.OkAsync("logs pair -c side")).Should().Be("i am side\n");
        var (code, stdout, stderr) = await _kubectl.RunAsync("logs pair");
        code.Should().Be(0, stderr);
        stdout.Should().Be("from c\n");
        stderr.Should().Contain("Defaulted container \"c\" out of: c, side");

        await _kubectl.OkAsync("annotate pod pair kubectl.kubernetes.io/default-container=side");
        (await _kubectl.OkAsync("logs pair")).Should().Be("i am side\n");
    }

    [Fact]
    public async Task Logs_follow_prints_lines_as_they_are_written_until_cancelled()
    {
        var gate = Path.Combine(_dir, "more");
        await RunningAsync(PodLogTests.ShellPod("tail", $"echo first; while [ ! -f {gate} ]; do sleep 0.02; done; echo second; exec sleep 60"), "first");
        using var process = _kubectl.Start("logs -f tail");
        using var cancel = new CancellationTokenSource(Bound);
        try
        {
            (await process.StandardOutput.ReadLineAsync(cancel.Token)).Should().Be("first");
            await File.WriteAllTextAsync(gate, "");
            (await process.StandardOutput.ReadLineAsync(cancel.Token)).Should().Be("second");
            process.HasExited.Should().BeFalse("the container still runs, so kubectl keeps following");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Logs_errors_are_the_api_servers()
    {
        await RunningAsync(PodLogTests.ShellPod("only", "echo hi; exec sleep 60"), "hi");

        var missing = await _kubectl.RunAsync("logs ghost");
        missing.Code.Should().NotBe(0);
        missing.Err.Should().Contain("error from server (NotFound): pods \"ghost\" not found in namespace \"default\"", "kubectl reads the pod before its log");

        var container = await _kubectl.RunAsync("logs only -c nope");
        container.Code.Should().NotBe(0);
        container.Err.Should().Contain("container nope is not valid for pod only", "kubectl checks the name against the pod it read, in the API server's words");

        await _client.CoreV1.CreateNamespacedPodAsync(PodLogTests.ShellPod("nowhere", "echo never", nodeSelector: new Dictionary<string, string> { ["no"] = "such-node" }), "default");
        var pending = await _kubectl.RunAsync("logs nowhere");
        (pending.Code, pending.Out, pending.Err).Should().Be((0, "", ""), "an unscheduled pod has no logs and no error, as upstream (kubernetes#44190)");

        var previous = await _kubectl.RunAsync("logs only --previous");
        previous.Code.Should().NotBe(0);
        previous.Err.Should().Contain("Error from server (BadRequest): previous terminated container \"c\" in pod \"only\" not found");
    }

    [Fact]
    public async Task Discovery_lists_pods_log_so_kubectl_knows_the_subresource()
    {
        var resources = await _client.CoreV1.GetAPIResourcesAsync();

        resources.Resources.Should().Contain(r => r.Name == "pods/log" && r.Kind == "Pod" && r.Verbs.SequenceEqual(new[] { "get" }));
        using var http = new HttpClient { BaseAddress = _kubectl.Api.Server.BaseAddress, Timeout = Bound };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        var aggregated = JsonNode.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync())!;
        var pods = aggregated["items"]![0]!["versions"]![0]!["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "pods")!;
        pods["subresources"]!.AsArray().Select(s => (string?)s!["subresource"]).Should().Contain("log");
    }
}
