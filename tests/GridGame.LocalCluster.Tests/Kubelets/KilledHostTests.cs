using System.Diagnostics;
using System.Globalization;
using GridGame.LocalCluster.Kubelets;

namespace GridGame.LocalCluster.Tests.Kubelets;

/// <summary>
/// LocalCluster with a process kubelet runs in a separate host program (a .NET file-based app referencing the
/// LocalCluster project), starts a pod whose container spawns children, and is then SIGKILLed: nothing it started
/// may survive it — not the container, not the container's own children.
/// </summary>
public sealed class KilledHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Nothing_a_killed_local_cluster_started_outlives_it()
    {
        var project = Path.Combine(RepositoryRoot.Path, "operator", "GridGame.LocalCluster", "GridGame.LocalCluster.csproj");
        var host = Path.Combine(_dir, "host.cs");
        await File.WriteAllTextAsync(host, $$"""
            #:project {{project}}
            #:property PublishAot=false
            using GridGame.LocalCluster;
            using GridGame.LocalCluster.Nodes;
            using k8s;
            using k8s.Models;
            var api = await LocalApiServer.StartAsync(new LocalApiServerOptions());
            var nodes = await LocalNodes.StartAsync(new LocalNodesOptions { Client = api.ClientConfiguration(), Kind = KubeletKind.Process, StateDirectory = "{{_dir}}" });
            var client = new Kubernetes(api.ClientConfiguration());
            var pod = new V1Pod { Metadata = new() { Name = "victim" }, Spec = new() { Containers = [new() { Name = "c", Image = "sh", Command = ["/bin/sh", "-c", "sleep 300 & sleep 300"] }] } };
            pod = await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
            Console.WriteLine($"host {Environment.ProcessId} pod {pod.Metadata.Uid}");
            await Task.Delay(-1);
            """);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add("run");
        info.ArgumentList.Add(host);
        using var run = Process.Start(info)!;
        string? uid = null;
        try
        {
            var errors = run.StandardError.ReadToEndAsync();
            string? line;
            do
            {
                line = await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
            }
            while (line is not null && !line.StartsWith("host ", StringComparison.Ordinal));
            line.Should().NotBeNull("the host should start: " + (run.HasExited ? await errors : ""));
            var parts = line!.Split(' ');
            var hostPid = int.Parse(parts[1]);
            uid = parts[3];
            var started = await Eventually.ValueAsync(() => Task.FromResult(ProcessesOf(uid) is { Count: >= 3 } p ? p : null), TimeSpan.FromSeconds(30), "for the container and its children");
            // What the two safety nets had when the host died, for a failure to say which of them missed.
            var before = Safeguards(hostPid);

            ProcessLauncher.Signal(hostPid, ProcessLauncher.SigKill);

            try
            {
                await Eventually.ValueAsync(() => Task.FromResult(ProcessesOf(uid).Count == 0 ? "" : null), TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException e)
            {
                var survivors = string.Join("; ", ProcessesOf(uid).Select(Describe));
                throw new TimeoutException($"the container processes {string.Join(',', started)} did not die with their host: survivors {survivors}; before the kill {before}; after it {Safeguards(hostPid)}", e);
            }
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
            }
            // A failed run must not leave its containers on the machine: the tree kill above takes the watchdog with it.
            foreach (var pid in uid is null ? [] : ProcessesOf(uid))
            {
                ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
            }
        }
    }

    /// <summary>The host's registry entries (container pids) and live watchdogs (shells given the host's owner id).</summary>
    private static string Safeguards(int hostPid)
    {
        var owner = hostPid.ToString(CultureInfo.InvariantCulture) + "-";
        var entries = Directory.EnumerateFiles(ProcessKubelet.RegistryDirectory).Select(Path.GetFileName).Where(f => f!.StartsWith(owner, StringComparison.Ordinal));
        var watchdogs = ProcessesWhere("cmdline", (_, args) => args.Contains(ProcessKubelet.RegistryDirectory) && args.Any(a => a.StartsWith(owner, StringComparison.Ordinal)));
        return $"registry [{string.Join(' ', entries)}], watchdogs [{string.Join(' ', watchdogs)}]";
    }

    /// <summary>pid, parent, process group and state, from /proc.</summary>
    private static string Describe(int pid) =>
        ProcessLauncher.StatFields(pid) is { } fields ? $"{pid} (state {fields[0]}, parent {fields[1]}, group {fields[2]})" : $"{pid} (gone)";

    /// <summary>Processes whose environment marks them as containers of the pod with this uid.</summary>
    private static List<int> ProcessesOf(string uid)
    {
        var marker = "GRIDGAME_LOCALCLUSTER_POD=" + uid;
        return ProcessesWhere("environ", (pid, env) => env.Contains(marker) && ProcessLauncher.IsAlive(pid));
    }

    /// <summary>Processes whose /proc/&lt;pid&gt;/&lt;file&gt; (a NUL-separated list: cmdline, environ) matches.</summary>
    private static List<int> ProcessesWhere(string file, Func<int, string[], bool> match)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                if (match(pid, File.ReadAllText(Path.Combine(dir, file)).Split('\0')))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }
}
