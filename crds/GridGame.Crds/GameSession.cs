using System.ComponentModel;
using System.Text.Json.Serialization;
using GridGame.Crds.Schema;
using k8s;
using k8s.Models;

namespace GridGame.Crds;

/// <summary>A match: a matchmaker's request for a game server of a fleet, and what became of it.</summary>
[KubernetesEntity(Group = KubeGroup, ApiVersion = KubeApiVersion, Kind = KubeKind, PluralName = KubePluralName)]
[Description("GameSession reserves a GridGame server of a GameFleet for one match; status tells the players where to connect.")]
public sealed class GameSession : IKubernetesObject<V1ObjectMeta>, ISpec<GameSessionSpec>, IStatus<GameSessionStatus?>
{
    public const string KubeGroup = GridGameApi.Group;
    public const string KubeApiVersion = GridGameApi.Version;
    public const string KubeKind = "GameSession";
    public const string KubeListKind = "GameSessionList";
    public const string KubePluralName = "gamesessions";
    public const string KubeSingularName = "gamesession";
    public const string KubeShortName = "gsess";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GridGameApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Description("What the matchmaker asks for.")]
    [Required]
    public GameSessionSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("Where the session was placed and how its game went; written by the operator and the game server.")]
    public GameSessionStatus? Status { get; set; }
}

/// <summary>A list of GameSessions, as the API server returns it.</summary>
public sealed class GameSessionList : IKubernetesObject<V1ListMeta>, IItems<GameSession>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GridGameApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = GameSession.KubeListKind;

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<GameSession> Items { get; set; } = [];
}

/// <summary>What a matchmaker asks for.</summary>
public sealed class GameSessionSpec
{
    [JsonPropertyName("fleetName")]
    [Description("The GameFleet (in the session's namespace) to take a server from.")]
    [Required]
    [MinLength(1)]
    [MaxLength(253)]
    [Pattern(SessionLimits.DnsSubdomainPattern)]
    [CelRule("self == oldSelf", "fleetName is immutable")]
    public string? FleetName { get; set; }

    [JsonPropertyName("selector")]
    [Description("Optional: only servers whose pod labels match.")]
    public V1LabelSelector? Selector { get; set; }

    [JsonPropertyName("players")]
    [Description("Player ids who may join; empty means open to anyone up to maxPlayers.")]
    [MaxItems(ApiBounds.PlayersMax)]
    [ItemPattern(SessionLimits.PlayerIdPattern, MaxLength = ApiBounds.PlayerIdMaxLength)]
    [CelRule("self.all(p, self.exists_one(q, q == p))", "player ids must be unique")]
    public IList<string>? Players { get; set; }

    [JsonPropertyName("game")]
    [Description("Optional overrides of the fleet's game settings, bounded by them.")]
    public GameOverrides? Game { get; set; }

    [JsonPropertyName("allocationTimeoutSeconds")]
    [Description("A session with no server after this long fails with reason Unallocatable.")]
    [Minimum(ApiBounds.AllocationTimeoutSecondsMin)]
    [Maximum(ApiBounds.AllocationTimeoutSecondsMax)]
    [Default(GameSessionDefaults.AllocationTimeoutSeconds)]
    public int? AllocationTimeoutSeconds { get; set; }

    [JsonPropertyName("ttlSecondsAfterFinished")]
    [Description("A Finished or Failed session is deleted after this long.")]
    [Minimum(0)]
    [Default(GameSessionDefaults.TtlSecondsAfterFinished)]
    public int? TtlSecondsAfterFinished { get; set; }
}

/// <summary>Per-session overrides of a fleet's game settings; absent fields take the fleet's.</summary>
[CelRule("!has(self.minPlayers) || !has(self.maxPlayers) || self.minPlayers <= self.maxPlayers", "minPlayers must be <= maxPlayers", FieldPath = ".minPlayers")]
public sealed class GameOverrides
{
    [JsonPropertyName("boardSize")]
    [Description("At most the fleet's boardSize.")]
    [Minimum(ApiBounds.BoardSizeMin)]
    [Maximum(ApiBounds.BoardSizeMax)]
    public int? BoardSize { get; set; }

    [JsonPropertyName("maxPlayers")]
    [Description("At most the fleet's maxPlayers.")]
    [Minimum(ApiBounds.PlayersMin)]
    [Maximum(ApiBounds.PlayersMax)]
    public int? MaxPlayers { get; set; }

    [JsonPropertyName("minPlayers")]
    [Description("At least 1 and at most maxPlayers.")]
    [Minimum(ApiBounds.PlayersMin)]
    [Maximum(ApiBounds.PlayersMax)]
    public int? MinPlayers { get; set; }

    [JsonPropertyName("durationSeconds")]
    [Description("At most the fleet's durationSeconds.")]
    [Minimum(ApiBounds.DurationSecondsMin)]
    [Maximum(ApiBounds.DurationSecondsMax)]
    public int? DurationSeconds { get; set; }
}

/// <summary>Where a session was placed and how its game went.</summary>
public sealed class GameSessionStatus
{
    [JsonPropertyName("phase")]
    [Description("Pending, Allocated, Running, Finished or Failed.")]
    public SessionPhase? Phase { get; set; }

    [JsonPropertyName("reason")]
    [Description("Why the session is in its phase, e.g. Unallocatable, ServerLost, Timeout, FleetNotFound, Invalid.")]
    public string? Reason { get; set; }

    [JsonPropertyName("message")]
    [Description("A human-readable account of the reason.")]
    public string? Message { get; set; }

    [JsonPropertyName("serverName")]
    [Description("The pod that serves the session.")]
    public string? ServerName { get; set; }

    [JsonPropertyName("nodeName")]
    [Description("The node of that pod.")]
    public string? NodeName { get; set; }

    [JsonPropertyName("address")]
    [Description("The address players connect to.")]
    public string? Address { get; set; }

    [JsonPropertyName("port")]
    [Description("The port players connect to.")]
    public int? Port { get; set; }

    [JsonPropertyName("url")]
    [Description("The SignalR hub URL: http://address:port/hubs/game?session=NAME.")]
    public string? Url { get; set; }

    [JsonPropertyName("allocatedAt")]
    [Description("When a server was reserved.")]
    public DateTime? AllocatedAt { get; set; }

    [JsonPropertyName("startedAt")]
    [Description("When play started.")]
    public DateTime? StartedAt { get; set; }

    [JsonPropertyName("finishedAt")]
    [Description("When the game ended.")]
    public DateTime? FinishedAt { get; set; }

    [JsonPropertyName("players")]
    [Description("The players who joined, with their scores.")]
    [ListMap("id")]
    public IList<SessionPlayer>? Players { get; set; }

    [JsonPropertyName("winner")]
    [Description("The winner's player id; on a tie, the tied ids joined by commas.")]
    public string? Winner { get; set; }

    [JsonPropertyName("observedGeneration")]
    [Description("The generation of the spec this status describes.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    [Description("Allocated, Invalid.")]
    [ListMap("type")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>The phases of a GameSession.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SessionPhase>))]
public enum SessionPhase
{
    Pending,
    Allocated,
    Running,
    Finished,
    Failed,
}

/// <summary>A player of a session and their score.</summary>
public sealed class SessionPlayer
{
    [JsonPropertyName("id")]
    [Description("The player id (the JWT subject).")]
    [Required]
    public string? Id { get; set; }

    [JsonPropertyName("connected")]
    [Description("Whether the player is connected now.")]
    public bool? Connected { get; set; }

    [JsonPropertyName("score")]
    [Description("Cells owned.")]
    public int? Score { get; set; }
}

/// <summary>Limits shared by the schema and the semantic validators.</summary>
public static class SessionLimits
{
    /// <summary>A Kubernetes object name (RFC 1123 subdomain).</summary>
    public const string DnsSubdomainPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>A player id: letters, digits and <c>._@-</c>, starting with a letter or digit.</summary>
    public const string PlayerIdPattern = "^[A-Za-z0-9][A-Za-z0-9._@-]*$";
}
