using System.Diagnostics;
using System.Globalization;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// One container's life under the process kubelet: prepare (references, environment, command), start the process,
/// probe it while it runs, and restart it per the pod's restartPolicy with the kubelet's doubling back-off.
/// </summary>
internal sealed class ContainerLoop(PodRunner pod, PodContainer c)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        TimeSpan? backoff = null;
        var policy = pod.Pod.Spec.RestartPolicy ?? "Always";
        var options = pod.Kubelet.Options;
        while (!stopping.IsCancellationRequested)
        {
            var (argv, env, error, reason) = await PrepareAsync(stopping).ConfigureAwait(false);
            if (argv is null || env is null)
            {
                SetWaiting(reason!, error!);
                if (!await pod.DelayAsync(TimeSpan.FromSeconds(2), stopping).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            Process process;
            var logPath = pod.Kubelet.LogPath(pod.Pod.Metadata.NamespaceProperty ?? "default", pod.Pod.Metadata.Name, c.Spec.Name);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
                await File.AppendAllTextAsync(logPath, ContainerLogFile.MarkerLine(DateTime.UtcNow, c.Spec.Name, c.RestartCount, argv), stopping).ConfigureAwait(false);
                var workingDirectory = c.Spec.WorkingDir ?? pod.Kubelet.WorkingDirectory(pod.Pod.Metadata.NamespaceProperty ?? "default", pod.Pod.Metadata.Name);
                Directory.CreateDirectory(workingDirectory);
                process = await pod.Kubelet.Launcher.StartAsync(argv, env, logPath, workingDirectory).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                SetWaiting("RunContainerError", e.Message);
                if (!await pod.DelayAsync(TimeSpan.FromSeconds(2), stopping).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var startedAt = pod.Kubelet.Time.GetUtcNow().UtcDateTime;
            var exitedTask = process.WaitForExitAsync(CancellationToken.None);
            lock (c)
            {
                c.Process = process;
                c.Exited = exitedTask;
                c.Pid = process.Id;
                c.Env = env;
                c.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
                c.Started = c.Spec.StartupProbe is null;
                c.Ready = c.Spec.ReadinessProbe is null && c.Started;
            }
            pod.MarkDirty();
            pod.Event("Normal", "Started", $"Started container {c.Spec.Name}");
            if (stopping.IsCancellationRequested)
            {
                // Stopped while this process was starting: StopAsync did not see it, so terminate it here.
                _ = c.TerminateAsync(pod.StopGrace);
            }
            using var probes = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var probing = new ContainerProbes(pod, c, process, exitedTask).RunAsync(probes.Token);
            await exitedTask.ConfigureAwait(false);
            await probes.CancelAsync().ConfigureAwait(false);
            await probing.ConfigureAwait(false);
            var finishedAt = pod.Kubelet.Time.GetUtcNow().UtcDateTime;
            var exitCode = process.ExitCode;
            pod.Kubelet.Launcher.Forget(process.Id);
            process.Dispose();
            var terminated = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = exitCode,
                    Reason = exitCode == 0 ? "Completed" : "Error",
                    StartedAt = startedAt,
                    FinishedAt = finishedAt,
                    ContainerID = $"process://{c.Pid}",
                },
            };
            var restart = !stopping.IsCancellationRequested && PodLifecycle.ShouldRestart(policy, exitCode);
            lock (c)
            {
                c.Process = null;
                c.Ready = false;
                c.Started = false;
                c.LastState = terminated;
                c.State = terminated;
            }
            if (!restart)
            {
                pod.MarkDirty();
                break;
            }
            // The first restart is immediate; later ones wait the back-off, doubling, as the kubelet does.
            var ranFor = finishedAt - startedAt;
            if (ranFor >= options.MaxRestartBackoff * 2)
            {
                backoff = null;
            }
            var delay = backoff ?? TimeSpan.Zero;
            backoff = PodLifecycle.NextBackoff(backoff, ranFor, options.RestartBackoff, options.MaxRestartBackoff);
            if (delay > TimeSpan.Zero)
            {
                pod.Event("Warning", "BackOff", $"Back-off restarting failed container {c.Spec.Name} in pod {pod.Pod.Metadata.Name}");
                SetWaiting("CrashLoopBackOff", string.Create(CultureInfo.InvariantCulture,
                    $"back-off {delay.TotalSeconds:0.###}s restarting failed container={c.Spec.Name} pod={pod.Pod.Metadata.Name}_{pod.Pod.Metadata.NamespaceProperty}({pod.Pod.Metadata.Uid})"));
            }
            if (!await pod.DelayAsync(delay, stopping).ConfigureAwait(false))
            {
                break;
            }
            lock (c)
            {
                c.RestartCount++;
            }
        }
    }

    private void SetWaiting(string reason, string message)
    {
        lock (c)
        {
            c.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };
            c.Ready = false;
        }
        pod.MarkDirty();
    }

    private async Task<(IReadOnlyList<string>? Argv, Dictionary<string, string>? Env, string? Error, string? Reason)> PrepareAsync(CancellationToken cancellationToken)
    {
        ReferencedData data;
        try
        {
            data = await pod.Kubelet.FetchReferencesAsync(pod.Pod, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, null, "stopping", "ContainerCreating");
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            return (null, null, e.Message, "CreateContainerConfigError");
        }
        var (env, envError) = ContainerEnvironment.Build(pod.Pod, c.Spec, pod.HostIP, pod.HostIP, c.Ports, pod.Kubelet.Options.KubeconfigPath, data);
        if (env is null)
        {
            return (null, null, envError, "CreateContainerConfigError");
        }
        env["GRIDGAME_LOCALCLUSTER_POD"] = pod.Pod.Metadata.Uid;
        // A process needs to find its programs and home like any login would; the pod's own variables win.
        foreach (var name in (string[])["PATH", "HOME", "USER", "LANG", "TMPDIR", "DOTNET_ROOT", "DOTNET_CLI_HOME", "DOTNET_NOLOGO"])
        {
            if (!env.ContainsKey(name) && Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }
        var (argv, argvError) = ContainerCommand.Resolve(c.Spec, pod.Kubelet.Options.Images, env);
        return argv is null ? (null, null, argvError, "ErrImageNeverPull") : (argv, env, null, null);
    }
}
