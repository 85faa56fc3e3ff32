namespace GridGame.GameServer;

/// <summary>
/// The event id of every log line of the game server, in one table so that no id is used twice and a line can be
/// searched for by its id. Each area owns a range; a new line takes the next free id of its area.
/// </summary>
internal static class EventIds
{
    // 1–19: the hub (calls, then connections from 10).
    public const int HubCallRefused = 1;
    public const int HubCallFailed = 2;
    public const int HubCallUnbound = 3;
    public const int ConnectionRefused = 10;
    public const int ConnectionIdle = 11;

    // 20–39: the games (a live game from 20, the directory and the clock from 30).
    public const int GameFinished = 20;
    public const int GameObserverFailed = 21;
    public const int ClaimsFailed = 22;
    public const int AnnounceFailed = 23;
    public const int FinishFailed = 24;
    public const int GameStateLost = 25;
    public const int GameRecovered = 30;
    public const int GameOpenObserverFailed = 31;
    public const int RecoveryFailed = 32;
    public const int EndOnTimeFailed = 33;

    // 40–49: the Kubernetes agent (GameSessions).
    public const int SessionOpened = 40;
    public const int SessionWatchFailed = 41;
    public const int SessionWatchEnded = 42;
    public const int SessionReportFailed = 43;
    public const int SessionLost = 44;

    // 50–59: the stores.
    public const int RedisNotPersistent = 50;
    public const int RedisPersistenceNotChecked = 51;

    // 60–69: the history.
    public const int HistoryWriteFailed = 60;
    public const int HistoryFlushed = 61;
    public const int HistoryNotFlushed = 62;
    public const int HistoryLagNotMeasured = 63;
    public const int HistorySchemaReady = 64;

    // 70–79: operations (the ops port, draining).
    public const int OpsListening = 70;
    public const int Draining = 71;
    public const int DrainNoticeFailed = 72;
}
