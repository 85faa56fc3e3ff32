namespace GridGame.Operator;

/// <summary>
/// The event id of every log line of the operator, in one table so that no id is used twice and a line can be
/// searched for by its id. Each area owns a range; a new line takes the next free id of its area.
/// </summary>
internal static class EventIds
{
    // 1000–1099: the informers (Runtime/Informer.cs).
    public const int InformerListed = 1001;
    public const int InformerWatchExpired = 1002;
    public const int InformerWatchFailed = 1003;
    public const int InformerWatchIdle = 1004;
    public const int InformerUndecodable = 1005;
    public const int InformerRelisting = 1006;

    // 1100–1199: the controller runner and its work queue.
    public const int ReconcileFailed = 1101;

    // 1200–1299: leader election.
    public const int LeaderStarted = 1201;
    public const int LeaderLost = 1202;
    public const int LeaderChanged = 1203;
    public const int LeaderReleased = 1204;
    public const int LeaderReleaseFailed = 1205;
    public const int LeaderElectionFailed = 1206;
    public const int LeaderWorkFailed = 1207;

    // 1300–1399: Kubernetes events.
    public const int EventNotRecorded = 1301;

    // 1400–1499: the host (start and stop).
    public const int HostStarted = 1401;
    public const int HostStopping = 1402;
    public const int HostStopped = 1403;
    public const int HostStopTimedOut = 1404;

    // 2000–2099: game sessions and their allocation.
    public const int SessionAllocated = 2001;
    public const int SessionReserveConflict = 2002;
    public const int SessionFailed = 2003;
    public const int SessionServerReleased = 2004;
    public const int SessionExpired = 2005;
    public const int SessionDecided = 2006;
    public const int SessionNoCapacity = 2007;

    // 3000–3099: game fleets (scaling, rollout, pods, deletion).
    public const int FleetScaled = 3001;
    public const int FleetPodDeleted = 3002;
    public const int FleetFinalizerReleased = 3003;
    public const int FleetInvalid = 3004;
    public const int FleetRollout = 3005;
    public const int FleetPodAdopted = 3006;
}
