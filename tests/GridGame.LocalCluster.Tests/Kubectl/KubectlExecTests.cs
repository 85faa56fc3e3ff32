using System.Diagnostics;
using GridGame.LocalCluster.Tests.Kubelets;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>The real <c>kubectl exec</c> (WebSocket, v5.channel.k8s.io) against LocalCluster with the process kubelet.</summary>
public sealed class KubectlExecTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private KubectlProcessCluster _cluster = null!;
    private KubectlRunner _kubectl = null!;
    private Kubernetes _client = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KubectlProcessCluster.StartAsync("gg-kubectl-exec-");
        (_kubectl, _client, _dir) = (_cluster.Kubectl, _cluster.Client, _cluster.Dir);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Creates the pod and waits until every container has a running process (exec needs one).</summary>
    private async Task RunningAsync(V1Pod pod)
    {
        await _client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        await Eventually.ValueAsync(async () =>
        {
            var p = await _client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default");
            return p.Status?.ContainerStatuses is { Count: > 0 } s && s.All(c => c.State?.Running is not null) ? p : null;
        }, Bound, $"for {pod.Metadata.Name} to run");
    }

    private static V1Pod SleepPod(string name) => PodLogTests.ShellPod(name, "exec sleep 60");

    [Fact]
    public async Task Exec_prints_the_commands_output_and_exits_0()
    {
        await RunningAsync(SleepPod("web"));

        var (code, stdout, stderr) = await _kubectl.RunAsync("exec web -- echo hello");

        (code, stdout, stderr).Should().Be((0, "hello\n", ""));
    }

    [Fact]
    public async Task Exec_shows_stderr_and_exits_with_the_commands_exit_code()
    {
        await RunningAsync(SleepPod("web"));

        var (code, stdout, stderr) = await _kubectl.RunAsync("exec web -- sh -c 'echo out; echo err >&2; exit 3'");

        code.Should().Be(3, stderr);
        stdout.Should().Be("out\n");
        stderr.Should().StartWith("err\n").And.Contain("command terminated with exit code 3");
    }

    [Fact]
    public async Task Exec_it_runs_an_interactive_shell_on_a_terminal()
    {
        await RunningAsync(SleepPod("web"));
        // kubectl -t wants a terminal of its own, as a person's: script gives it one.
        var info = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--quiet", "--return", "--command", $"{KubectlRunner.Binary} --kubeconfig {_kubectl.Kubeconfig} exec -it web -- sh", "/dev/null"])
        {
            info.ArgumentList.Add(a);
        }
        using var script = Process.Start(info)!;
        await script.StandardInput.WriteAsync("echo $((6*7)); tty\nexit 3\n");
        script.StandardInput.Close();
        var output = script.StandardOutput.ReadToEndAsync();
        await script.WaitForExitAsync().WaitAsync(Bound);

        script.ExitCode.Should().Be(3, await output);
        (await output).Should().Contain("42").And.Contain("/dev/pts/", "the shell runs on a terminal of its own");
    }

    [Fact]
    public async Task Cp_copies_files_into_and_out_of_a_pod_through_exec_and_tar()
    {
        await RunningAsync(SleepPod("web"));
        var source = _kubectl.WriteFile("board.txt", "a copied board\n");
        // A pod shares the machine's filesystem here: its paths are the machine's.
        var inPod = Path.Combine(_dir, "copied", "board.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(inPod)!);
        var back = Path.Combine(_dir, "back.txt");

        await _kubectl.OkAsync($"cp {source} web:{inPod}");
        (await File.ReadAllTextAsync(inPod)).Should().Be("a copied board\n");
        await _kubectl.OkAsync($"cp web:{inPod} {back}");
        (await File.ReadAllTextAsync(back)).Should().Be("a copied board\n");
    }

    [Fact]
    public async Task Exec_with_stdin_feeds_the_command_and_ends_when_stdin_ends()
    {
        await RunningAsync(SleepPod("web"));

        var (code, stdout, stderr) = await _kubectl.RunAsync("exec -i web -- cat", stdin: "abc");

        (code, stdout, stderr).Should().Be((0, "abc", ""), "the v5 CLOSE signal for stdin ends cat");
        (await _kubectl.RunAsync("exec -i web -- wc -l", stdin: "1\n2\n3\n")).Out.Trim().Should().Be("3");
    }

    [Fact]
    public async Task Exec_carries_megabytes_both_ways_intact()
    {
        await RunningAsync(SleepPod("web"));
        var input = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i:D6} of the input\n")); // ~1 MB: many frames each way

        var (code, stdout, stderr) = await _kubectl.RunAsync("exec -i web -- cat", stdin: input);

        code.Should().Be(0, stderr);
        stdout.Length.Should().Be(input.Length);
        stdout.Should().Be(input);
    }

    [Fact]
    public async Task Exec_sees_the_containers_environment_and_working_directory()
    {
        var workDir = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        var pod = SleepPod("env");
        pod.Spec.Containers[0].Env = [new V1EnvVar { Name = "SOME_VAR", Value = "from the spec" }, new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } }];
        pod.Spec.Containers[0].WorkingDir = workDir;
        await RunningAsync(pod);

        (await _kubectl.OkAsync("exec env -- printenv SOME_VAR")).Should().Be("from the spec\n");
        (await _kubectl.OkAsync("exec env -- printenv POD_NAME")).Should().Be("env\n", "the downward API, as the container got it");
        (await _kubectl.OkAsync("exec env -- pwd")).Should().Be(workDir + "\n");
        (await _kubectl.OkAsync("exec env -- sh -c 'echo \"$1\"' x 'two words'")).Should().Be("two words\n", "the argv is passed as given, no shell of ours in between");
    }

    [Fact]
    public async Task Exec_picks_the_default_container_or_the_one_named()
    {
        var pod = PodLogTests.ShellPod("pair", "exec sleep 60", moreContainers: "side");
        foreach (var c in pod.Spec.Containers)
        {
            c.Env = [new V1EnvVar { Name = "WHO", Value = c.Name }];
        }
        await RunningAsync(pod);

        (await _kubectl.OkAsync("exec pair -c side -- printenv WHO")).Should().Be("side\n");
        var (code, stdout, stderr) = await _kubectl.RunAsync("exec pair -- printenv WHO");
        (code, stdout).Should().Be((0, "c\n"));
        stderr.Should().Contain("Defaulted container \"c\" out of: c, side");

        await _kubectl.OkAsync("annotate pod pair kubectl.kubernetes.io/default-container=side");
        (await _kubectl.OkAsync("exec pair -- printenv WHO")).Should().Be("side\n");
    }

    [Fact]
    public async Task Exec_errors_say_what_is_wrong()
    {
        await RunningAsync(SleepPod("web"));

        var missing = await _kubectl.RunAsync("exec ghost -- echo hi");
        missing.Code.Should().NotBe(0);
        missing.Err.Should().Contain("pods \"ghost\" not found");

        var container = await _kubectl.RunAsync("exec web -c nope -- echo hi");
        container.Code.Should().NotBe(0);
        container.Err.Should().Contain("Error from server (BadRequest): container nope is not valid for pod web", "the API server checks the name, in upstream's words");

        var empty = await _kubectl.RunAsync("exec web --");
        empty.Code.Should().NotBe(0);
        empty.Err.Should().Contain("you must specify at least one command for the container");

        var notFound = await _kubectl.RunAsync("exec web -- no-such-program");
        notFound.Code.Should().Be(127, notFound.Err);
        notFound.Err.Should().Contain("no-such-program").And.Contain("command terminated with exit code 127");
    }

    [Fact]
    public async Task Exec_into_a_container_that_is_not_running_is_refused_by_the_kubelet()
    {
        await RunningAsync(PodLogTests.ShellPod("done", "exec sleep 60", moreContainers: "side"));
        var pod = PodLogTests.ShellPod("quitter", "exit 0", restartPolicy: "Never", moreContainers: "side");
        await _client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        await Eventually.ValueAsync(async () =>
        {
            var p = await _client.CoreV1.ReadNamespacedPodAsync("quitter", "default");
            return p.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == "c")?.State?.Terminated is not null
                && p.Status.ContainerStatuses.Any(c => c.Name == "side" && c.State?.Running is not null) ? p : null;
        }, Bound, "for quitter's c to end while side runs");

        var (code, _, stderr) = await _kubectl.RunAsync("exec quitter -c c -- echo hi");

        code.Should().NotBe(0);
        stderr.Should().Contain("unable to upgrade connection: container not found (\"c\")");
        (await _kubectl.OkAsync("exec quitter -c side -- echo hi")).Should().Be("hi\n");
    }

    [Fact]
    public async Task Exec_process_does_not_outlive_the_kubectl_that_started_it()
    {
        await RunningAsync(SleepPod("web"));
        using var kubectl = _kubectl.Start("exec web -- sh -c 'echo $$; exec sleep 60'");
        using var cancel = new CancellationTokenSource(Bound);
        var pid = int.Parse((await kubectl.StandardOutput.ReadLineAsync(cancel.Token))!, System.Globalization.CultureInfo.InvariantCulture);
        File.Exists($"/proc/{pid}/stat").Should().BeTrue("the command runs while kubectl is connected");

        kubectl.Kill(entireProcessTree: true);
        await kubectl.WaitForExitAsync(cancel.Token);

        await Eventually.ValueAsync(() => Task.FromResult(Gone(pid) ? "" : null), Bound, $"for exec process {pid} to be killed");
    }

    [Fact]
    public async Task Discovery_lists_pods_exec_so_kubectl_knows_the_subresource()
    {
        var resources = await _client.CoreV1.GetAPIResourcesAsync();

        resources.Resources.Should().Contain(r => r.Name == "pods/exec" && r.Kind == "PodExecOptions" && r.Verbs.SequenceEqual(new[] { "create", "get" }));
    }

    /// <summary>Gone or a zombie waiting for its parent (killed either way).</summary>
    private static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
