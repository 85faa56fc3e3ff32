namespace GridGame.Operator.Fleets;

/// <summary>The fleet's `spec.health` settings.</summary>
internal sealed record HealthSettings(TimeSpan UnhealthyAfter, int MaxRestarts)
{
    public static HealthSettings Default { get; } = new(TimeSpan.FromSeconds(30), 3);
}

/// <summary>The verdict on one pod's health, with the reason used in Events and logs.</summary>
internal readonly record struct HealthVerdict(bool Unhealthy, string Reason, DateTimeOffset? RecheckAt)
{
    public static HealthVerdict Healthy { get; } = new(false, "", null);
}

/// <summary>
/// docs/guides/fleets.md "Health": a pod that failed, restarted more than `maxRestarts`, or was Ready and has not been
/// Ready for `unhealthyAfterSeconds` is Unhealthy. Pure: the caller passes the time.
/// </summary>
internal static class PodHealth
{
    public static HealthVerdict Judge(FleetPod pod, HealthSettings health, DateTimeOffset now)
    {
        if (pod.Failed)
        {
            return new(true, "Failed", null);
        }
        if (pod.Restarts > health.MaxRestarts)
        {
            return new(true, $"RestartedTooOften ({pod.Restarts} > {health.MaxRestarts})", null);
        }
        // Only a pod that was Ready (it carries a state label) can lose readiness; a Starting pod is merely slow.
        if (pod.State != ServerState.Starting && !pod.IsReady && pod.NotReadySince is { } since)
        {
            var deadline = since + health.UnhealthyAfter;
            return now >= deadline
                ? new(true, $"NotReady for {(int)(now - since).TotalSeconds}s", null)
                : new(false, "", deadline);
        }
        return HealthVerdict.Healthy;
    }
}
