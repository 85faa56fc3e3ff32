namespace GridGame.LocalCluster;

/// <summary>
/// The event id of every log line of LocalCluster, in one table so that no id is used twice and a line can be
/// searched for by its id. Each area owns a range; a new line takes the next free id of its area. The range
/// 5000–5999 keeps these apart from the operator's ids when both log into one process (local mode).
/// </summary>
internal static class EventIds
{
    // 5100–5199: the scheduler.
    public const int SchedulingFailed = 5101;
    public const int BindingNotServed = 5102;
    public const int BindingFailed = 5103;
    public const int PodUnschedulable = 5104;

    // 5200–5299: the kubelets (process and simulated).
    public const int PodStopTimedOut = 5201;
    public const int PodStatusNotWritten = 5202;
    public const int StartupProbeFailed = 5203;
    public const int LivenessProbeFailed = 5204;
    public const int LeftoverProcessesKilled = 5205;
    public const int TerminatedPodNotRemoved = 5206;
    public const int SimulatedPodNotUpdated = 5207;

    // 5300–5399: the nodes, their feeds and their events.
    public const int EventNotWritten = 5301;
    public const int HeartbeatFailed = 5302;
    public const int FeedWatchFailed = 5303;
    public const int FeedHandlerFailed = 5304;
}
