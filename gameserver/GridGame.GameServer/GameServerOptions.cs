using GridGame.GameServer.Game;

namespace GridGame.GameServer;

/// <summary>The <c>GridGame</c> configuration section.</summary>
internal sealed class GameServerOptions
{
    public const string Section = "GridGame";

    /// <summary>Any session name can be joined (outside Kubernetes). Defaults to true when POD_NAME is not set.</summary>
    public bool? Standalone { get; set; }

    /// <summary>The settings of games opened in standalone mode.</summary>
    public GameSettings Game { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Caps on the hub connections one player or one address may hold open.</summary>
    public ConnectionCapOptions Connections { get; set; } = new();

    /// <summary>
    /// A connection that sends nothing (no call, no ping) for this long is closed. SignalR clients ping every 15 s; this
    /// is SignalR's <c>ClientTimeoutInterval</c> too, which SignalR itself applies only once a client has pinged.
    /// </summary>
    public int ClientTimeoutSeconds { get; set; } = 30;

    public TimeSpan ClientTimeout => TimeSpan.FromSeconds(ClientTimeoutSeconds);

    /// <summary>The largest hub message accepted from a client; bigger ones close the connection.</summary>
    public int MaxMessageBytes { get; set; } = 4096;

    /// <summary>How long shutdown may take (drain, flush) before the process exits: keep below the pod's grace period.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 25;

    /// <summary>How long a draining server waits for its players to leave before it closes their connections.</summary>
    public int DrainSeconds { get; set; } = 10;

    /// <summary>This server's name: the pod name, else the machine name.</summary>
    public string? ServerName { get; set; }

    /// <summary>How long a finished game stays on the server (its players can still see it); then its name can be reused.</summary>
    public int FinishedRetentionSeconds { get; set; } = 300;

    /// <summary>The prefix of every Redis key of this server's games (servers sharing a Redis share the prefix).</summary>
    public string RedisPrefix { get; set; } = "gg";

    /// <summary>
    /// How often at most a game announces claims to its players (one <c>CellsClaimed</c> message per interval; a claim in a
    /// quiet game goes out at once). 0 sends every batch at once. The claimer's own answer never waits for it.
    /// </summary>
    public int ClaimAnnounceIntervalMs { get; set; } = 50;

    /// <summary>
    /// The port of <c>/ready</c>, <c>/metrics</c> and <c>/health</c>, apart from the game port (0: any free port). LocalCluster's
    /// process kubelet says where a pod's port named <c>ops</c> is with <c>PORT_OPS</c>, which wins, as <c>PORT</c> does.
    /// </summary>
    public int OpsPort { get; set; } = 8081;

    /// <summary>How many history events are written per database transaction.</summary>
    public int HistoryBatchSize { get; set; } = 500;

    /// <summary>How long the history writer waits when there is nothing to write.</summary>
    public int HistoryPollMs { get; set; } = 200;
}

internal sealed class ConnectionCapOptions
{
    /// <summary>Open connections per player (token subject); 0 = no cap. A player needs one per game, a few with spare tabs.</summary>
    public int PerPlayer { get; set; } = 4;

    /// <summary>
    /// Open connections per remote address; 0 = no cap. Players behind one NAT share an address, and so does everyone
    /// behind a proxy or a load balancer that does not keep the client's address: raise it (or set 0) there.
    /// </summary>
    public int PerAddress { get; set; } = 64;
}

internal sealed class RateLimitOptions
{
    public double Burst { get; set; } = 30;

    public double PerSecond { get; set; } = 30;
}
