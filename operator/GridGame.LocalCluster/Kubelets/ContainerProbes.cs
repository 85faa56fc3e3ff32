using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The probe loops of one running container: startup (then readiness and liveness), each on its period and
/// thresholds; a failed startup or liveness probe kills the process so that its loop restarts it.
/// </summary>
internal sealed partial class ContainerProbes(PodRunner pod, PodContainer c, Process process, Task exited)
{
    private readonly int _pid = process.Id;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var spec = c.Spec;
        var env = c.Env ?? new Dictionary<string, string>();
        try
        {
            if (spec.StartupProbe is { } startup)
            {
                var counter = ProbeCounter.For(new V1Probe { SuccessThreshold = 1, FailureThreshold = startup.FailureThreshold }, initial: false);
                await pod.DelayAsync(TimeSpan.FromSeconds(startup.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
                while (!cancellationToken.IsCancellationRequested)
                {
                    var ok = await ProbeRunner.ProbeAsync(startup, pod.HostIP, c.Ports, env, cancellationToken).ConfigureAwait(false);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    counter.Record(ok);
                    if (counter.Passing)
                    {
                        lock (c)
                        {
                            c.Started = true;
                            c.Ready = spec.ReadinessProbe is null;
                        }
                        pod.MarkDirty();
                        break;
                    }
                    if (counter.FailuresWhileFailing >= (startup.FailureThreshold ?? 3))
                    {
                        Log.StartupProbeFailed(pod.Kubelet.Logger, spec.Name, pod.Key);
                        pod.Event("Warning", "Unhealthy", "Startup probe failed");
                        pod.Event("Normal", "Killing", $"Container {spec.Name} failed startup probe, will be restarted");
                        await KillForRestartAsync().ConfigureAwait(false);
                        return;
                    }
                    await pod.DelayAsync(Period(startup), cancellationToken).ConfigureAwait(false);
                }
            }
            var loops = new List<Task>();
            if (spec.ReadinessProbe is { } readiness)
            {
                loops.Add(ReadinessAsync(readiness, cancellationToken));
            }
            if (spec.LivenessProbe is { } liveness)
            {
                loops.Add(LivenessAsync(liveness, cancellationToken));
            }
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadinessAsync(V1Probe probe, CancellationToken cancellationToken)
    {
        var counter = ProbeCounter.For(probe, initial: false);
        await pod.DelayAsync(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await ProbeRunner.ProbeAsync(probe, pod.HostIP, c.Ports, c.Env!, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (counter.Record(ok))
            {
                lock (c)
                {
                    c.Ready = counter.Passing;
                }
                pod.MarkDirty();
            }
            await pod.DelayAsync(Period(probe), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LivenessAsync(V1Probe probe, CancellationToken cancellationToken)
    {
        var counter = ProbeCounter.For(probe, initial: true);
        await pod.DelayAsync(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await ProbeRunner.ProbeAsync(probe, pod.HostIP, c.Ports, c.Env!, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (counter.Record(ok) && !counter.Passing)
            {
                Log.LivenessProbeFailed(pod.Kubelet.Logger, c.Spec.Name, pod.Key);
                pod.Event("Warning", "Unhealthy", "Liveness probe failed");
                pod.Event("Normal", "Killing", $"Container {c.Spec.Name} failed liveness probe, will be restarted");
                await KillForRestartAsync().ConfigureAwait(false);
                return;
            }
            await pod.DelayAsync(Period(probe), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task KillForRestartAsync()
    {
        ProcessLauncher.Signal(_pid, ProcessLauncher.SigTerm);
        try
        {
            await exited.WaitAsync(pod.Grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ProcessLauncher.Signal(_pid, ProcessLauncher.SigKill);
        }
    }

    private static TimeSpan Period(V1Probe probe) => TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.StartupProbeFailed, Level = LogLevel.Information, Message = "Container {Container} of {Pod} failed its startup probe; restarting")]
        public static partial void StartupProbeFailed(ILogger logger, string container, string pod);

        [LoggerMessage(EventId = EventIds.LivenessProbeFailed, Level = LogLevel.Information, Message = "Container {Container} of {Pod} failed liveness probe, will be restarted")]
        public static partial void LivenessProbeFailed(ILogger logger, string container, string pod);
    }
}
