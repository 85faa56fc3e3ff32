using System.Diagnostics;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>One container of a pod under the process kubelet: its spec and ports, its process, and the state its status shows. Lock it to read or change.</summary>
internal sealed class PodContainer(V1Container spec, PortMap ports)
{
    public V1Container Spec { get; } = spec;

    public PortMap Ports { get; } = ports;

    public Process? Process { get; set; }

    public Task? Exited { get; set; }

    public int Pid { get; set; }

    public Dictionary<string, string>? Env { get; set; }

    public V1ContainerState State { get; set; } = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };

    public V1ContainerState? LastState { get; set; }

    public int RestartCount { get; set; }

    public bool Ready { get; set; }

    public bool Started { get; set; }

    /// <summary>SIGTERM to the process group, SIGKILL after <paramref name="grace"/>; nothing if no process runs.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        int pid;
        Task? exited;
        lock (this)
        {
            pid = Process is null ? 0 : Pid;
            exited = Exited;
        }
        if (pid == 0 || exited is null || exited.IsCompleted)
        {
            return;
        }
        ProcessLauncher.Signal(pid, ProcessLauncher.SigTerm);
        try
        {
            await exited.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        // The group may still hold children even when the leader has gone.
        ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
        try
        {
            await exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
