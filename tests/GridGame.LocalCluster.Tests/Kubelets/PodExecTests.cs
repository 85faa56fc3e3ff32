using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Kubelets;
using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

/// <summary><c>pods/exec</c> through KubernetesClient (v4.channel.k8s.io) and plain HTTP: the API server relaying to the process kubelet.</summary>
public sealed class PodExecTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _dir = Directory.CreateTempSubdirectory("gg-exec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<Cluster> StartAsync(KubeletKind kind = KubeletKind.Process) =>
        Cluster.StartAsync(c => new LocalNodesOptions { Client = c, Kind = kind, StateDirectory = _dir });

    private static Task<V1Pod> RunningAsync(Cluster cluster, string name) =>
        cluster.PodWhenAsync(name, p => p.Status?.ContainerStatuses is { Count: > 0 } s && s.All(c => c.State?.Running is not null), Bound);

    /// <summary>Runs the command through KubernetesClient's NamespacedPodExecAsync; returns its exit code, stdout and stderr.</summary>
    private static async Task<(int Code, string Out, string Err)> ExecAsync(Cluster cluster, string pod, string container, string[] command, CancellationToken cancellationToken = default)
    {
        string stdout = "", stderr = "";
        var code = await cluster.Client.NamespacedPodExecAsync(pod, "default", container, command, false, async (_, outStream, errStream) =>
        {
            using var outReader = new StreamReader(outStream, Encoding.UTF8);
            using var errReader = new StreamReader(errStream, Encoding.UTF8);
            var o = outReader.ReadToEndAsync(cancellationToken);
            var e = errReader.ReadToEndAsync(cancellationToken);
            (stdout, stderr) = (await o, await e);
        }, cancellationToken);
        return (code, stdout, stderr);
    }

    /// <summary>The plain HTTP answer to an exec request (what a client reads when the upgrade is refused).</summary>
    private static async Task<(HttpStatusCode Code, string Body)> RefusalAsync(Cluster cluster, string pathAndQuery)
    {
        using var http = new HttpClient { BaseAddress = cluster.Api.Server.BaseAddress, Timeout = Bound };
        using var response = await http.PostAsync(new Uri(pathAndQuery, UriKind.Relative), null);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Message(string status) => (string?)JsonNode.Parse(status)!["message"] ?? "";

    [Fact]
    public async Task NamespacedPodExecAsync_runs_the_command_and_reads_its_output_and_exit_code()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("web", "exec sleep 60"));
        await RunningAsync(cluster, "web");

        (await ExecAsync(cluster, "web", "c", ["echo", "hello"])).Should().Be((0, "hello\n", ""));
        (await ExecAsync(cluster, "web", "c", ["sh", "-c", "echo out; echo err >&2; exit 3"])).Should().Be((3, "out\n", "err\n"));
    }

    [Fact]
    public async Task Muxed_stream_with_a_tty_gives_the_command_a_terminal_of_the_clients_size()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("web", "exec sleep 60"));
        await RunningAsync(cluster, "web");
        using var cancel = new CancellationTokenSource(Bound);

        using var muxed = await cluster.Client.MuxedStreamNamespacedPodExecAsync("web", "default",
            ["sh", "-c", "read go; [ -t 0 ] && echo terminal; stty size; echo err >&2; exit 4"], "c", tty: true, cancellationToken: cancel.Token);
        using var stdin = muxed.GetStream(null, ChannelIndex.StdIn);
        using var resize = muxed.GetStream(null, ChannelIndex.Resize);
        using var stdout = muxed.GetStream(ChannelIndex.StdOut, null);
        using var error = muxed.GetStream(ChannelIndex.Error, null);
        muxed.Start();
        await resize.WriteAsync("""{"Width":100,"Height":30}"""u8.ToArray(), cancel.Token);
        await stdin.WriteAsync("go\n"u8.ToArray(), cancel.Token);

        using var reader = new StreamReader(stdout, Encoding.UTF8);
        var lines = new List<string>();
        while (lines.Count < 4 && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            lines.Add(line.TrimEnd('\r'));
        }
        lines.Should().Equal(["go", "terminal", "30 100", "err"], "the terminal echoes the input, has the size sent before it, and carries stderr too");
        using var status = new StreamReader(error, Encoding.UTF8);
        var exit = JsonNode.Parse(await status.ReadToEndAsync(cancel.Token))!;
        ((string?)exit["details"]!["causes"]![0]!["message"]).Should().Be("4", "the command's exit code comes through script");
    }

    [Fact]
    public async Task Ending_a_tty_exec_kills_the_commands_whole_session()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("web", "exec sleep 60"));
        await RunningAsync(cluster, "web");
        var pidFile = Path.Combine(_dir, "pid");
        List<int> pids;
        using (var cancel = new CancellationTokenSource(Bound))
        {
            // The command ignores the terminal's hang-up, and with job control (-m) its background job has a group of
            // its own, which no hang-up reaches: only a kill of the whole session ends them.
            using var muxed = await cluster.Client.MuxedStreamNamespacedPodExecAsync("web", "default",
                ["sh", "-c", $"set -m; sleep 60 & echo $$ $! > {pidFile}; trap '' HUP; exec sleep 60"], "c", tty: true, cancellationToken: cancel.Token);
            muxed.Start();
            await Eventually.ValueAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n') ? "" : null), Bound, "for the command to start");
            pids = [.. File.ReadAllText(pidFile).Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse)];
            var groups = pids.Select(p => ProcessLauncher.StatFields(p)?[2]).ToList();
            groups.Should().OnlyHaveUniqueItems("the job has a group of its own").And.NotContainNulls();
        }

        await Eventually.ValueAsync(() => Task.FromResult(pids.Any(ProcessLauncher.IsAlive) ? null : ""), Bound, "for the closed exec's command and its job to die");
    }

    [Fact]
    public async Task The_exec_ends_when_its_pod_stops()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("web", "exec sleep 60"));
        await RunningAsync(cluster, "web");
        using var cancel = new CancellationTokenSource(Bound);
        var started = Path.Combine(_dir, "started");

        var exec = ExecAsync(cluster, "web", "c", ["sh", "-c", $"touch {started}; exec sleep 60"], cancel.Token);
        await Eventually.ValueAsync(() => Task.FromResult(File.Exists(started) ? "" : null), Bound, "for the exec to start");
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("web", "default", cancellationToken: cancel.Token);

        var (code, _, _) = await exec.WaitAsync(Bound);
        code.Should().Be(137, "the container stopped, and its exec was killed with it");
    }

    [Fact]
    public async Task Requests_are_checked_against_the_pod_as_upstream_checks_them()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("pair", "exec sleep 60", moreContainers: "side"));
        await RunningAsync(cluster, "pair");
        const string Pods = "/api/v1/namespaces/default/pods";

        var missing = await RefusalAsync(cluster, $"{Pods}/ghost/exec?command=true&stdout=true");
        (missing.Code, Message(missing.Body)).Should().Be((HttpStatusCode.NotFound, "pods \"ghost\" not found"));

        var ambiguous = await RefusalAsync(cluster, $"{Pods}/pair/exec?command=true&stdout=true");
        (ambiguous.Code, Message(ambiguous.Body)).Should().Be((HttpStatusCode.BadRequest, "a container name must be specified for pod pair, choose one of: [c side]"));

        var wrong = await RefusalAsync(cluster, $"{Pods}/pair/exec?command=true&stdout=true&container=nope");
        (wrong.Code, Message(wrong.Body)).Should().Be((HttpStatusCode.BadRequest, "container nope is not valid for pod pair"));

        var noCommand = await RefusalAsync(cluster, $"{Pods}/pair/exec?stdout=true&container=c");
        (noCommand.Code, Message(noCommand.Body)).Should().Be((HttpStatusCode.BadRequest, "you must specify at least one command for the container"));

        var noStreams = await RefusalAsync(cluster, $"{Pods}/pair/exec?command=true&container=c");
        (noStreams.Code, Message(noStreams.Body)).Should().Be((HttpStatusCode.BadRequest, "you must specify at least 1 of stdin, stdout, stderr"));

        var badBool = await RefusalAsync(cluster, $"{Pods}/pair/exec?command=true&container=c&stdout=yes");
        (badBool.Code, Message(badBool.Body)).Should().Be((HttpStatusCode.BadRequest, "Unable to decode query: stdout: invalid boolean \"yes\""));

        var spdy = await RefusalAsync(cluster, $"{Pods}/pair/exec?command=true&container=c&stdout=true");
        spdy.Code.Should().Be(HttpStatusCode.BadRequest);
        spdy.Body.Should().Be("unable to upgrade: LocalCluster serves exec over WebSocket only (v5.channel.k8s.io, v4.channel.k8s.io), not SPDY or plain HTTP",
            "a valid request without a WebSocket upgrade reaches the kubelet, whose refusal comes back as it is");
    }

    [Fact]
    public async Task An_unscheduled_pod_has_no_host_to_exec_on()
    {
        await using var cluster = await StartAsync();
        await cluster.CreatePodAsync(PodLogTests.ShellPod("nowhere", "exec sleep 60", nodeSelector: new Dictionary<string, string> { ["no"] = "such-node" }));

        var (code, body) = await RefusalAsync(cluster, "/api/v1/namespaces/default/pods/nowhere/exec?command=true&stdout=true");

        (code, Message(body)).Should().Be((HttpStatusCode.BadRequest, "pod nowhere does not have a host assigned"));
    }

    [Fact]
    public async Task Simulated_nodes_run_nothing_to_exec_into_and_say_so()
    {
        await using var cluster = await StartAsync(KubeletKind.Simulated);
        await cluster.CreatePodAsync(PodLogTests.ShellPod("sim", "exec sleep 60"));
        await cluster.PodWhenAsync("sim", Cluster.IsReady, Bound);

        var (code, body) = await RefusalAsync(cluster, "/api/v1/namespaces/default/pods/sim/exec?command=true&stdout=true");

        code.Should().Be(HttpStatusCode.BadRequest);
        Message(body).Should().Contain("simulated kubelet runs no processes, so there is nothing to exec into");
    }
}
