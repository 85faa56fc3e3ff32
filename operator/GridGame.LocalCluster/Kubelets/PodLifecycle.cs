using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>The kubelet's decisions about a pod's containers, as pure functions.</summary>
internal static class PodLifecycle
{
    /// <summary>Whether a container that exited with <paramref name="exitCode"/> is started again.</summary>
    public static bool ShouldRestart(string? restartPolicy, int exitCode) => restartPolicy switch
    {
        "Never" => false,
        "OnFailure" => exitCode != 0,
        _ => true,
    };

    /// <summary>The next restart delay: doubling from the initial back-off up to the maximum, reset after a long healthy run.</summary>
    public static TimeSpan NextBackoff(TimeSpan? previous, TimeSpan ranFor, TimeSpan initial, TimeSpan max)
    {
        // The kubelet forgets a container's back-off once it has run twice the maximum back-off without trouble.
        if (previous is null || ranFor >= max * 2)
        {
            return initial;
        }
        var next = previous.Value * 2;
        return next > max ? max : next;
    }

    /// <summary>The pod phase from its container statuses, following the kubelet's getPhase.</summary>
    public static string Phase(string? restartPolicy, IReadOnlyList<V1ContainerStatus> containers)
    {
        int running = 0, waiting = 0, stopped = 0, succeeded = 0;
        foreach (var c in containers)
        {
            if (c.State?.Running is not null)
            {
                running++;
            }
            else if (c.State?.Terminated is { } t)
            {
                stopped++;
                if (t.ExitCode == 0)
                {
                    succeeded++;
                }
            }
            else if (c.LastState?.Terminated is { } last)
            {
                stopped++;
                if (last.ExitCode == 0)
                {
                    succeeded++;
                }
            }
            else
            {
                waiting++;
            }
        }
        if (containers.Count == 0 || waiting > 0)
        {
            return "Pending";
        }
        if (running > 0)
        {
            return "Running";
        }
        if (restartPolicy is null or "Always")
        {
            return "Running";
        }
        if (stopped == succeeded)
        {
            return "Succeeded";
        }
        return restartPolicy == "Never" ? "Failed" : "Running";
    }

    /// <summary>The pod's conditions: Ready and ContainersReady when every container is ready and the pod runs.</summary>
    public static List<V1PodCondition> Conditions(string phase, bool allReady, DateTime now, IReadOnlyList<V1PodCondition>? previous)
    {
        var ready = allReady && phase == "Running";
        V1PodCondition Condition(string type, bool status, string? reason = null)
        {
            var value = status ? "True" : "False";
            var old = previous?.FirstOrDefault(c => c.Type == type);
            return new V1PodCondition
            {
                Type = type,
                Status = value,
                Reason = status ? null : reason,
                LastProbeTime = null,
                LastTransitionTime = old is not null && old.Status == value ? old.LastTransitionTime : now,
            };
        }
        var completed = phase is "Succeeded" or "Failed";
        return
        [
            Condition("PodReadyToStartContainers", !completed),
            Condition("Initialized", true),
            Condition("Ready", ready, completed ? "PodCompleted" : "ContainersNotReady"),
            Condition("ContainersReady", ready, completed ? "PodCompleted" : "ContainersNotReady"),
            Condition("PodScheduled", true),
        ];
    }
}

/// <summary>Consecutive-result counting of one probe: it flips only after successThreshold / failureThreshold results.</summary>
internal sealed class ProbeCounter(int successThreshold, int failureThreshold, bool initial)
{
    private int _successes;
    private int _failures;

    public bool Passing { get; private set; } = initial;

    public static ProbeCounter For(V1Probe probe, bool initial) =>
        new(Math.Max(1, probe.SuccessThreshold ?? 1), Math.Max(1, probe.FailureThreshold ?? 3), initial);

    /// <summary>Records one result; returns true when <see cref="Passing"/> changed.</summary>
    public bool Record(bool success)
    {
        if (success)
        {
            _failures = 0;
            if (!Passing && ++_successes >= successThreshold)
            {
                Passing = true;
                return true;
            }
        }
        else
        {
            _successes = 0;
            if (Passing && ++_failures >= failureThreshold)
            {
                Passing = false;
                _failures = 0;
                return true;
            }
            if (!Passing)
            {
                _failures++;
            }
        }
        return false;
    }

    /// <summary>Failures counted while not passing (a startup probe gives up after failureThreshold of them).</summary>
    public int FailuresWhileFailing => Passing ? 0 : _failures;
}
