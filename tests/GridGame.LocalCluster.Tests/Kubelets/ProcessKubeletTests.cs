using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GridGame.LocalCluster.Kubelets;
using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

/// <summary>The process kubelet running a small Python HTTP program as a pod's container.</summary>
public sealed class ProcessKubeletTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Serves /ready (503 until READY_FILE exists, if set) and /env (its environment as JSON) where ASPNETCORE_URLS says; SIGTERM stops it unless IGNORE_TERM.</summary>
    private const string Server = """
        import http.server, json, os, signal, threading
        port = int(os.environ["PORT"])
        host = os.environ["ASPNETCORE_URLS"].split("//")[1].rsplit(":", 1)[0]
        ready_file = os.environ.get("READY_FILE")
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/ready":
                    self.send_response(200 if ready_file is None or os.path.exists(ready_file) else 503); self.end_headers(); return
                body = json.dumps(dict(os.environ)).encode() if self.path == "/env" else b"ok"
                self.send_response(200); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        srv = http.server.HTTPServer((host, port), H)
        def term(*_):
            print("got SIGTERM", flush=True)
            if not os.environ.get("IGNORE_TERM"):
                threading.Thread(target=srv.shutdown).start()
        signal.signal(signal.SIGTERM, term)
        print("listening on", port, flush=True)
        srv.serve_forever()
        print("bye", flush=True)
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("gg-pk-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public ProcessKubeletTests()
    {
        File.Exists(Python).Should().BeTrue($"the process kubelet tests run {Python} as a container; install python3 (apt-get install python3)");
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<Cluster> StartAsync(TimeSpan? backoff = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? images = null, int nodes = 1) =>
        Cluster.StartAsync(c => new LocalNodesOptions
        {
            Client = c,
            NodeCount = nodes,
            Kind = KubeletKind.Process,
            KubeconfigPath = Path.Combine(_dir, "kubeconfig"),
            StateDirectory = _dir,
            RestartBackoff = backoff ?? TimeSpan.FromSeconds(10),
            Images = images ?? new Dictionary<string, IReadOnlyList<string>>(),
        });

    private static V1Pod HttpPod(string name, int? hostPort = null, params V1EnvVar[] env) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 10,
            Containers =
            [
                new V1Container
                {
                    Name = "web",
                    Image = "python",
                    Command = [Python, "-c", Server],
                    Env = env,
                    Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080, HostPort = hostPort }],
                },
            ],
        },
    };

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private async Task<string> GetAsync(int port, string path, string host = "127.0.0.1") =>
        await Eventually.ValueAsync(async () =>
        {
            try
            {
                return await _http.GetStringAsync(new Uri($"http://{host}:{port}{path}"));
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(20), $"for 127.0.0.1:{port}{path}");

    private static V1EnvVar Field(string name, string path) => new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } };

    private static async Task<bool> DeadAsync(int pid) =>
        await Eventually.ValueAsync<object>(() => Task.FromResult<object?>(ProcessLauncher.IsAlive(pid) ? null : new object()), TimeSpan.FromSeconds(10)) is not null;

    [Fact]
    public async Task Env_and_ports_arrive_as_the_pod_specifies()
    {
        await using var cluster = await StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "jwt" }, StringData = new Dictionary<string, string> { ["key"] = "s3cret" } }, "default");
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "game" }, Data = new Dictionary<string, string> { ["size"] = "8" } }, "default");
        var port = FreePort();
        await cluster.CreatePodAsync(HttpPod("env", port,
            Field("POD_NAME", "metadata.name"), Field("POD_NAMESPACE", "metadata.namespace"), Field("POD_IP", "status.podIP"), Field("NODE", "spec.nodeName"),
            new V1EnvVar { Name = "KEY", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "jwt", Key = "key" } } },
            new V1EnvVar { Name = "SIZE", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "game", Key = "size" } } },
            new V1EnvVar { Name = "PLAIN", Value = "size-$(SIZE)" }));

        var env = JsonSerializer.Deserialize<Dictionary<string, string>>(await GetAsync(port, "/env"))!;

        env.Should().Contain(new Dictionary<string, string>
        {
            ["POD_NAME"] = "env",
            ["POD_NAMESPACE"] = "default",
            ["POD_IP"] = "127.0.0.1",
            ["NODE"] = "local-node-0",
            ["KEY"] = "s3cret",
            ["SIZE"] = "8",
            ["PLAIN"] = "size-8",
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["KUBECONFIG"] = Path.Combine(_dir, "kubeconfig"),
        });
        var pod = await cluster.PodWhenAsync("env", Cluster.IsReady);
        pod.Status.PodIP.Should().Be("127.0.0.1");
        pod.Status.HostIP.Should().Be("127.0.0.1");
        pod.Status.ContainerStatuses.Single().State.Running.Should().NotBeNull();
    }

    [Fact]
    public async Task Pods_with_the_same_host_port_on_two_nodes_each_listen_on_their_node_address()
    {
        await using var cluster = await StartAsync(nodes: 2);
        var port = FreePort();
        await cluster.CreatePodAsync(HttpPod("twin-a", port, Field("POD_IP", "status.podIP")));
        await cluster.CreatePodAsync(HttpPod("twin-b", port, Field("POD_IP", "status.podIP")));
        var a = await cluster.PodWhenAsync("twin-a", Cluster.IsReady);
        var b = await cluster.PodWhenAsync("twin-b", Cluster.IsReady);

        new[] { a.Status.PodIP, b.Status.PodIP }.Should().BeEquivalentTo(["127.0.0.1", "127.0.0.2"]);
        foreach (var pod in new[] { a, b })
        {
            var env = JsonSerializer.Deserialize<Dictionary<string, string>>(await GetAsync(port, "/env", pod.Status.PodIP))!;
            env["HOSTNAME"].Should().Be(pod.Metadata.Name);
            env["POD_IP"].Should().Be(pod.Status.PodIP);
            env["ASPNETCORE_URLS"].Should().Be($"http://{pod.Status.PodIP}:{port}");
        }
    }

    [Fact]
    public async Task A_readiness_probe_gates_ready()
    {
        await using var cluster = await StartAsync();
        var readyFile = Path.Combine(_dir, "ready");
        var pod = HttpPod("gated", env: new V1EnvVar { Name = "READY_FILE", Value = readyFile });
        pod.Spec.Containers[0].ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ready", Port = "http" }, PeriodSeconds = 1 };
        await cluster.CreatePodAsync(pod);

        await cluster.PodWhenAsync("gated", p => p.Status?.Phase == "Running");
        // No hostPort: the kubelet picked a free port, and the probe followed the named port to it.
        var port = cluster.Nodes.Process.PortOf("default", "gated", "web");
        (await GetAsync(port, "/")).Should().Be("ok");
        (await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/ready"))).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        Cluster.IsReady(await cluster.Client.CoreV1.ReadNamespacedPodAsync("gated", "default")).Should().BeFalse();

        await File.WriteAllTextAsync(readyFile, "");

        var ready = await cluster.PodWhenAsync("gated", Cluster.IsReady);
        ready.Status.ContainerStatuses.Single().Ready.Should().BeTrue();
    }

    [Fact]
    public async Task A_crashing_container_restarts_with_doubling_back_off()
    {
        await using var cluster = await StartAsync(backoff: TimeSpan.FromMilliseconds(300));
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "crash" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "sh", Command = ["/bin/sh", "-c", "echo crashing; exit 3"] }] },
        };
        await cluster.CreatePodAsync(pod);

        var looping = await cluster.PodWhenAsync("crash", p =>
            p.Status?.ContainerStatuses?.SingleOrDefault() is { RestartCount: >= 2, State.Waiting.Reason: "CrashLoopBackOff" });
        looping.Status.ContainerStatuses[0].LastState.Terminated.ExitCode.Should().Be(3);
        looping.Status.Phase.Should().Be("Running");
        await cluster.PodWhenAsync("crash", p => p.Status.ContainerStatuses[0].RestartCount >= 4);

        var starts = (await File.ReadAllLinesAsync(cluster.Nodes.ContainerLogPath("default", "crash", "c")))
            .Where(l => l.StartsWith("--- ", StringComparison.Ordinal))
            .Select(l => DateTime.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind))
            .ToList();
        var gaps = starts.Zip(starts.Skip(1), (a, b) => b - a).ToList();
        gaps.Count.Should().BeGreaterThanOrEqualTo(4);
        gaps[1].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300), "the second restart waits the initial back-off");
        gaps[2].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600), "then it doubles");
        gaps[3].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1200));
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.InvolvedObject.Name == "crash").ToList();
        events.Should().Contain(e => e.Reason == "Started" && e.Source.Component == "kubelet" && e.Source.Host == "local-node-0")
            .And.Contain(e => e.Reason == "BackOff" && e.Type == "Warning");
    }

    [Fact]
    public async Task A_failing_liveness_probe_restarts_the_container()
    {
        await using var cluster = await StartAsync(backoff: TimeSpan.FromMilliseconds(100));
        var alive = Path.Combine(_dir, "alive");
        await File.WriteAllTextAsync(alive, "");
        var pod = HttpPod("live");
        pod.Spec.TerminationGracePeriodSeconds = 1;
        pod.Spec.Containers[0].LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", $"test -f {alive}"] }, PeriodSeconds = 1, FailureThreshold = 2 };
        await cluster.CreatePodAsync(pod);
        await cluster.PodWhenAsync("live", Cluster.IsReady);
        var firstPid = cluster.Nodes.Process.Pids.Single();

        File.Delete(alive);

        var restarted = await cluster.PodWhenAsync("live", p => p.Status.ContainerStatuses[0].RestartCount == 1);
        restarted.Status.ContainerStatuses[0].LastState.Terminated.Should().NotBeNull();
        (await DeadAsync(firstPid)).Should().BeTrue();
    }

    [Fact]
    public async Task A_startup_probe_holds_readiness_until_it_passes()
    {
        await using var cluster = await StartAsync();
        var started = Path.Combine(_dir, "started");
        var pod = HttpPod("startup");
        pod.Spec.Containers[0].StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", $"test -f {started}"] }, PeriodSeconds = 1, FailureThreshold = 60 };
        await cluster.CreatePodAsync(pod);
        var running = await cluster.PodWhenAsync("startup", p => p.Status?.Phase == "Running");
        running.Status.ContainerStatuses[0].Started.Should().BeFalse();
        Cluster.IsReady(running).Should().BeFalse();

        await File.WriteAllTextAsync(started, "");

        var ready = await cluster.PodWhenAsync("startup", Cluster.IsReady);
        ready.Status.ContainerStatuses[0].Started.Should().BeTrue();
    }

    [Fact]
    public async Task Deletion_sends_sigterm_and_the_pod_goes_once_the_process_exits()
    {
        await using var cluster = await StartAsync();
        var port = FreePort();
        await cluster.CreatePodAsync(HttpPod("term", port));
        await GetAsync(port, "/");
        var pid = cluster.Nodes.Process.Pids.Single();

        var started = DateTime.UtcNow;
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("term", "default");
        await cluster.PodGoneAsync("term");

        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(8), "the program exits on SIGTERM, well inside its 10s grace period");
        (await DeadAsync(pid)).Should().BeTrue();
        var log = await File.ReadAllLinesAsync(cluster.Nodes.ContainerLogPath("default", "term", "web"));
        log.Should().Contain("got SIGTERM").And.Contain("bye");
    }

    [Fact]
    public async Task A_process_that_ignores_sigterm_is_killed_when_the_grace_period_ends()
    {
        await using var cluster = await StartAsync();
        var port = FreePort();
        var pod = HttpPod("stubborn", port, new V1EnvVar { Name = "IGNORE_TERM", Value = "1" });
        pod.Spec.TerminationGracePeriodSeconds = 1;
        await cluster.CreatePodAsync(pod);
        await GetAsync(port, "/");
        var pid = cluster.Nodes.Process.Pids.Single();

        var started = DateTime.UtcNow;
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("stubborn", "default");
        await cluster.PodGoneAsync("stubborn");

        (DateTime.UtcNow - started).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        (await DeadAsync(pid)).Should().BeTrue();
        (await File.ReadAllLinesAsync(cluster.Nodes.ContainerLogPath("default", "stubborn", "web"))).Should().Contain("got SIGTERM").And.NotContain("bye");
    }

    [Fact]
    public async Task An_image_without_a_command_runs_its_mapped_local_program()
    {
        var images = new Dictionary<string, IReadOnlyList<string>> { ["*gridgame-gameserver*"] = [Python, "-c", Server] };
        await using var cluster = await StartAsync(images: images);
        var port = FreePort();
        var pod = HttpPod("mapped", port);
        pod.Spec.Containers[0].Command = null;
        pod.Spec.Containers[0].Image = "ghcr.io/owner/gridgame-gameserver:1.0.0";
        await cluster.CreatePodAsync(pod);

        (await GetAsync(port, "/")).Should().Be("ok");
    }

    [Fact]
    public async Task Nothing_is_left_running_when_local_nodes_stop()
    {
        var pids = new List<int>();
        await using (var cluster = await StartAsync())
        {
            foreach (var i in Enumerable.Range(0, 2))
            {
                var port = FreePort();
                await cluster.CreatePodAsync(HttpPod($"keep-{i}", port));
                await GetAsync(port, "/");
            }
            pids.AddRange(cluster.Nodes.Process.Pids);
            pids.Should().HaveCount(2).And.OnlyContain(p => ProcessLauncher.IsAlive(p));
        }

        foreach (var pid in pids)
        {
            ProcessLauncher.IsAlive(pid).Should().BeFalse();
            ProcessLauncher.GroupAlive(pid).Should().BeFalse();
        }
    }
}
