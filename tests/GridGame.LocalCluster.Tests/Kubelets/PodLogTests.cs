using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

/// <summary><c>pods/log</c> through KubernetesClient: the API server proxying to the process kubelet of the pod's node.</summary>
public sealed class PodLogTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _dir = Directory.CreateTempSubdirectory("gg-logs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<Cluster> StartAsync(int nodes = 1, KubeletKind kind = KubeletKind.Process) =>
        Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = nodes, Kind = kind, StateDirectory = _dir, RestartBackoff = TimeSpan.FromMilliseconds(200) });

    /// <summary>A pod running <c>sh -c script</c> in container <c>c</c> (more containers sleep).</summary>
    internal static V1Pod ShellPod(string name, string script, string restartPolicy = "Always", IDictionary<string, string>? nodeSelector = null, params string[] moreContainers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            RestartPolicy = restartPolicy,
            TerminationGracePeriodSeconds = 1,
            NodeSelector = nodeSelector,
            Containers =
            [
                new V1Container { Name = "c", Image = "sh", Command = ["/bin/sh", "-c", script] },
                .. moreContainers.Select(m => new V1Container { Name = m, Image = "sh", Command = ["/bin/sh", "-c", $"echo i am {m}; exec sleep 60"] }),
            ],
        },
    };

    /// <summary>Waits (bounded) until the file exists: how a test lets a container's script go on.</summary>
    private string Gate(string name) => Path.Combine(_dir, name);

    private static string WaitFor(string gate) => $"while [ ! -f {gate} ]; do sleep 0.02; done";

    private static async Task<string> LogAsync(Cluster cluster, string pod, string? container = null, bool? previous = null, int? tailLines = null, int? limitBytes = null, bool? timestamps = null, int? sinceSeconds = null)
    {
        using var stream = await cluster.Client.CoreV1.ReadNamespacedPodLogAsync(pod, "default", container: container, previous: previous,
            tailLines: tailLines, limitBytes: limitBytes, timestamps: timestamps, sinceSeconds: sinceSeconds);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Polls the log until it holds <paramref name="expected"/> (the process may not have written it yet).</summary>
    private static Task<string> LogWhenAsync(Cluster cluster, string pod, string expected, string? container = null) =>
        Eventually.ValueAsync(async () =>
        {
            try
            {
                var log = await LogAsync(cluster, pod, container);
                return log.Contains(expected, StringComparison.Ordinal) ? log : null;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.BadRequest)
            {
                return null; // waiting to start
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && e.Response.Content.Contains("does not exist", StringComparison.Ordinal))
            {
                // Scheduled, but its kubelet has not picked it up yet: a kubelet answers 404 "pod ... does not exist" then.
                return null;
            }
        }, Bound, $"for {expected.Trim()} in the log of {pod}");

    private static async Task<(HttpStatusCode Code, JsonObject Status)> FailureAsync(Func<Task> call)
    {
        var e = (await call.Should().ThrowAsync<HttpOperationException>()).Which;
        return (e.Response.StatusCode, JsonNode.Parse(e.Response.Content)!.AsObject());
    }

    [Fact]
    public async Task The_log_is_what_the_process_wrote_without_the_kubelets_marker()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(ShellPod("hello", "echo one; echo two >&2; exec sleep 60"));

        var log = await LogWhenAsync(cluster, "hello", "two\n");

        log.Should().Be("one\ntwo\n");
    }

    [Fact]
    public async Task Nodes_publish_the_kubelet_port_and_each_node_serves_only_its_own_pods()
    {
        await using var cluster = await StartAsync(nodes: 2);
        await cluster.CreatePodAsync(ShellPod("there", "echo on node one; exec sleep 60", nodeSelector: new Dictionary<string, string> { ["kubernetes.io/hostname"] = "local-node-1" }));

        (await LogWhenAsync(cluster, "there", "on node one")).Should().Be("on node one\n");

        var nodes = (await cluster.Client.CoreV1.ListNodeAsync()).Items;
        var port = nodes[0].Status.DaemonEndpoints.KubeletEndpoint.Port;
        port.Should().BeGreaterThan(0);
        nodes.Select(n => n.Status.DaemonEndpoints.KubeletEndpoint.Port).Should().AllBeEquivalentTo(port, "one server listens on every node address");
        using var http = new HttpClient { Timeout = Bound };
        var own = await http.GetAsync(new Uri($"http://127.0.0.2:{port}/containerLogs/default/there/c"));
        (await own.Content.ReadAsStringAsync()).Should().Be("on node one\n");
        var other = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/containerLogs/default/there/c"));
        other.StatusCode.Should().Be(HttpStatusCode.NotFound, "local-node-0's kubelet does not run the pod");
    }

    [Fact]
    public async Task Follow_streams_new_lines_while_the_process_runs_and_stops_with_it()
    {
        await using var cluster = await StartAsync();
        var more = Gate("more");
        var done = Gate("done");
        await cluster.CreatePodAsync(ShellPod("chatty", $"echo first; {WaitFor(more)}; echo second; {WaitFor(done)}; echo last", restartPolicy: "Never"));
        await LogWhenAsync(cluster, "chatty", "first\n");
        using var cancel = new CancellationTokenSource(Bound);

        using var stream = await cluster.Client.CoreV1.ReadNamespacedPodLogAsync("chatty", "default", follow: true, cancellationToken: cancel.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        (await reader.ReadLineAsync(cancel.Token)).Should().Be("first");
        await File.WriteAllTextAsync(more, "");
        (await reader.ReadLineAsync(cancel.Token)).Should().Be("second", "the line arrives while the process still runs");
        await File.WriteAllTextAsync(done, "");
        (await reader.ReadToEndAsync(cancel.Token)).Should().Be("last\n", "the stream ends when the container stops");
    }

    [Fact]
    public async Task Previous_is_the_instance_before_the_restart()
    {
        await using var cluster = await StartAsync();
        var crash = Gate("crash");
        await cluster.CreatePodAsync(ShellPod("phoenix", $"n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; echo run $n; {WaitFor(crash)}; [ $n -ge 1 ] || exit 1; exec sleep 60"));
        await LogWhenAsync(cluster, "phoenix", "run 0\n");

        var (code, status) = await FailureAsync(() => LogAsync(cluster, "phoenix", previous: true));
        code.Should().Be(HttpStatusCode.BadRequest);
        ((string?)status["message"]).Should().Be("previous terminated container \"c\" in pod \"phoenix\" not found");

        await File.WriteAllTextAsync(crash, "");
        await cluster.PodWhenAsync("phoenix", p => p.Status?.ContainerStatuses?.Single() is { RestartCount: 1, State.Running: not null });
        (await LogWhenAsync(cluster, "phoenix", "run 1\n")).Should().Be("run 1\n");
        (await LogAsync(cluster, "phoenix", previous: true)).Should().Be("run 0\n");
    }

    [Fact]
    public async Task TailLines_limitBytes_and_timestamps_shape_the_log()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(ShellPod("counter", "for i in 1 2 3 4 5; do echo $i; done; exec sleep 60"));
        await LogWhenAsync(cluster, "counter", "5\n");

        (await LogAsync(cluster, "counter", tailLines: 2)).Should().Be("4\n5\n");
        (await LogAsync(cluster, "counter", tailLines: 0)).Should().BeEmpty();
        (await LogAsync(cluster, "counter", limitBytes: 3)).Should().Be("1\n2");
        (await LogAsync(cluster, "counter", tailLines: 1, limitBytes: 1)).Should().Be("5");
        var stamped = (await LogAsync(cluster, "counter", timestamps: true, tailLines: 2)).Split('\n');
        stamped[0].Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 4$");
        stamped[1].Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 5$");
        (await LogAsync(cluster, "counter", sinceSeconds: 3600)).Should().Be("1\n2\n3\n4\n5\n", "the running instance is newer than any since");
    }

    [Fact]
    public async Task Refusals_carry_the_api_servers_status_and_message()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(ShellPod("pair", "echo hi; exec sleep 60", moreContainers: "side"));
        await cluster.CreatePodAsync(ShellPod("nowhere", "echo never", nodeSelector: new Dictionary<string, string> { ["no"] = "such-node" }));

        var missing = await FailureAsync(() => LogAsync(cluster, "ghost"));
        missing.Code.Should().Be(HttpStatusCode.NotFound);
        ((string?)missing.Status["message"]).Should().Be("pods \"ghost\" not found");

        var container = await FailureAsync(() => LogAsync(cluster, "pair", container: "nope"));
        container.Code.Should().Be(HttpStatusCode.BadRequest);
        ((string?)container.Status["message"]).Should().Be("container nope is not valid for pod pair");

        var ambiguous = await FailureAsync(() => LogAsync(cluster, "pair"));
        ((string?)ambiguous.Status["message"]).Should().Be("a container name must be specified for pod pair, choose one of: [c side]");

        var invalid = await FailureAsync(() => LogAsync(cluster, "pair", container: "c", tailLines: -1));
        invalid.Code.Should().Be(HttpStatusCode.UnprocessableEntity);
        ((string?)invalid.Status["message"]).Should().Be("PodLogOptions \"pair\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");

        (await LogWhenAsync(cluster, "pair", "i am side", container: "side")).Should().Be("i am side\n");
        (await LogAsync(cluster, "nowhere")).Should().BeEmpty("an unscheduled pod has no log location: upstream answers 204 with no body");
    }

    [Fact]
    public async Task A_container_that_never_started_is_waiting_to_start()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "unmapped" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "registry.example/unmapped:1" }] },
        });
        await cluster.PodWhenAsync("unmapped", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason == "ErrImageNeverPull");

        var (code, status) = await FailureAsync(() => LogAsync(cluster, "unmapped"));

        code.Should().Be(HttpStatusCode.BadRequest);
        ((string?)status["message"]).Should().Be("container \"c\" in pod \"unmapped\" is waiting to start: ErrImageNeverPull");
    }

    [Fact]
    public async Task Simulated_nodes_publish_no_kubelet_endpoint_and_logs_say_why()
    {
        await using var cluster = await StartAsync(kind: KubeletKind.Simulated);
        await cluster.CreatePodAsync(ShellPod("sim", "echo unseen"));
        await cluster.PodWhenAsync("sim", Cluster.IsReady);

        (await cluster.Client.CoreV1.ReadNodeAsync("local-node-0")).Status.DaemonEndpoints.KubeletEndpoint.Port.Should().Be(0);
        var (code, status) = await FailureAsync(() => LogAsync(cluster, "sim"));

        code.Should().Be(HttpStatusCode.BadRequest);
        ((string?)status["message"]).Should().Contain("runs on node \"local-node-0\", which publishes no kubelet endpoint").And.Contain("simulated kubelet runs no processes");
    }
}
