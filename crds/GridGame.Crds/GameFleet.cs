using System.ComponentModel;
using System.Text.Json.Serialization;
using GridGame.Crds.Schema;
using k8s;
using k8s.Models;

namespace GridGame.Crds;

/// <summary>A pool of game-server pods of one game, autoscaled, drained and rolled out blue-green.</summary>
[KubernetesEntity(Group = KubeGroup, ApiVersion = KubeApiVersion, Kind = KubeKind, PluralName = KubePluralName)]
[Description("GameFleet is a pool of GridGame game-server pods: autoscaled on a buffer of free servers, drained on deletion, rolled out blue-green.")]
public sealed class GameFleet : IKubernetesObject<V1ObjectMeta>, ISpec<GameFleetSpec>, IStatus<GameFleetStatus?>
{
    public const string KubeGroup = GridGameApi.Group;
    public const string KubeApiVersion = GridGameApi.Version;
    public const string KubeKind = "GameFleet";
    public const string KubeListKind = "GameFleetList";
    public const string KubePluralName = "gamefleets";
    public const string KubeSingularName = "gamefleet";
    public const string KubeShortName = "gf";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GridGameApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Description("The desired state of the fleet.")]
    [Required]
    public GameFleetSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("The observed state of the fleet, written by the operator.")]
    public GameFleetStatus? Status { get; set; }
}

/// <summary>A list of GameFleets, as the API server returns it.</summary>
public sealed class GameFleetList : IKubernetesObject<V1ListMeta>, IItems<GameFleet>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GridGameApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = GameFleet.KubeListKind;

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<GameFleet> Items { get; set; } = [];
}

/// <summary>The desired state of a GameFleet.</summary>
public sealed class GameFleetSpec
{
    [JsonPropertyName("replicas")]
    [Description("Desired servers (Ready + Allocated) of the active revision. Owned by the autoscaler when autoscaling is set.")]
    [Minimum(0)]
    [Default(GameFleetDefaults.Replicas)]
    public int? Replicas { get; set; }

    [JsonPropertyName("scheduling")]
    [Description("Packed fills nodes one after another (allocation and scale-down favour busy nodes); Distributed spreads servers.")]
    [Default(GameFleetDefaults.Scheduling)]
    public SchedulingStrategy? Scheduling { get; set; }

    [JsonPropertyName("game")]
    [Description("The rules every server of the fleet plays by.")]
    [Default("{}", IsJson = true)]
    public GameSettings? Game { get; set; }

    [JsonPropertyName("ports")]
    [Description("How players reach a server. The first port is the game port.")]
    [Default("""[{"name":"game","containerPort":7777,"policy":"Dynamic"}]""", IsJson = true)]
    [MinItems(1)]
    [MaxItems(ApiBounds.PortsMax)]
    [CelRule("self.all(p, self.exists_one(q, q.name == p.name))", "port names must be unique")]
    [CelRule("self.all(p, self.exists_one(q, q.containerPort == p.containerPort))", "containerPorts must be unique")]
    public IList<GamePort>? Ports { get; set; }

    [JsonPropertyName("autoscaling")]
    [Description("Optional. When set, the operator owns spec.replicas and keeps a buffer of Ready servers above the Allocated ones.")]
    public FleetAutoscaling? Autoscaling { get; set; }

    [JsonPropertyName("strategy")]
    [Description("How a change of the pod-shaping spec (template, game, ports) is rolled out.")]
    [Default("{}", IsJson = true)]
    public FleetStrategy? Strategy { get; set; }

    [JsonPropertyName("health")]
    [Description("When a server counts as unhealthy and is replaced.")]
    [Default("{}", IsJson = true)]
    public FleetHealth? Health { get; set; }

    [JsonPropertyName("deletion")]
    [Description("What deleting the fleet does to servers that are still playing.")]
    [Default("{}", IsJson = true)]
    public FleetDeletion? Deletion { get; set; }

    [JsonPropertyName("template")]
    [Description("The pod template of a game server; the operator adds the labels, ports, env and probes it owns.")]
    [Required]
    [PreserveUnknownFields]
    public V1PodTemplateSpec Template { get; set; } = new();
}

/// <summary>How servers are placed on nodes, and which ones are allocated or removed first.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SchedulingStrategy>))]
public enum SchedulingStrategy
{
    Packed,
    Distributed,
}

/// <summary>The rules of the game a fleet's servers host.</summary>
[CelRule("self.minPlayers <= self.maxPlayers", "minPlayers must be <= maxPlayers", FieldPath = ".minPlayers")]
public sealed class GameSettings
{
    [JsonPropertyName("boardSize")]
    [Description("The board is boardSize x boardSize cells.")]
    [Minimum(ApiBounds.BoardSizeMin)]
    [Maximum(ApiBounds.BoardSizeMax)]
    [Default(GameFleetDefaults.BoardSize)]
    public int? BoardSize { get; set; }

    [JsonPropertyName("maxPlayers")]
    [Description("Most players in one game.")]
    [Minimum(ApiBounds.PlayersMin)]
    [Maximum(ApiBounds.PlayersMax)]
    [Default(GameFleetDefaults.MaxPlayers)]
    public int? MaxPlayers { get; set; }

    [JsonPropertyName("minPlayers")]
    [Description("Play starts when this many players have joined.")]
    [Minimum(ApiBounds.PlayersMin)]
    [Maximum(ApiBounds.PlayersMax)]
    [Default(GameFleetDefaults.MinPlayers)]
    public int? MinPlayers { get; set; }

    [JsonPropertyName("durationSeconds")]
    [Description("A game ends after this many seconds at the latest.")]
    [Minimum(ApiBounds.DurationSecondsMin)]
    [Maximum(ApiBounds.DurationSecondsMax)]
    [Default(GameFleetDefaults.DurationSeconds)]
    public int? DurationSeconds { get; set; }

    [JsonPropertyName("claimCooldownMs")]
    [Description("A player may claim at most one cell per this many milliseconds.")]
    [Minimum(ApiBounds.ClaimCooldownMsMin)]
    [Maximum(ApiBounds.ClaimCooldownMsMax)]
    [Default(GameFleetDefaults.ClaimCooldownMs)]
    public int? ClaimCooldownMs { get; set; }
}

/// <summary>A port players use to reach a server.</summary>
[CelRule("self.policy != 'Static' || has(self.hostPort)", "hostPort is required when policy is Static", FieldPath = ".hostPort")]
[CelRule("self.policy == 'Static' || !has(self.hostPort)", "hostPort must not be set unless policy is Static", FieldPath = ".hostPort")]
public sealed class GamePort
{
    [JsonPropertyName("name")]
    [Description("An IANA service name: lower-case letters, digits and '-', at most 15 characters.")]
    [Required]
    [MinLength(1)]
    [MaxLength(ApiBounds.PortNameMaxLength)]
    [Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    public string? Name { get; set; }

    [JsonPropertyName("containerPort")]
    [Description("The port the game server listens on inside the pod.")]
    [Required]
    [Minimum(ApiBounds.PortMin)]
    [Maximum(ApiBounds.PortMax)]
    public int? ContainerPort { get; set; }

    [JsonPropertyName("hostPort")]
    [Description("The node port players connect to; only with policy Static.")]
    [Minimum(ApiBounds.PortMin)]
    [Maximum(ApiBounds.PortMax)]
    public int? HostPort { get; set; }

    [JsonPropertyName("policy")]
    [Description("Dynamic: the operator assigns a hostPort from its range. Static: hostPort as given. None: podIP and containerPort.")]
    [Default(GameFleetDefaults.Policy)]
    public PortPolicy? Policy { get; set; }
}

/// <summary>How a port's public address is chosen.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PortPolicy>))]
public enum PortPolicy
{
    Dynamic,
    Static,
    None,
}

/// <summary>Buffer autoscaling: keep a number (or percent) of Ready servers above the Allocated ones.</summary>
[CelRule("self.minReplicas <= self.maxReplicas", "minReplicas must be <= maxReplicas", FieldPath = ".minReplicas")]
public sealed class FleetAutoscaling
{
    [JsonPropertyName("policy")]
    [Description("The autoscaling policy; Buffer is the only one.")]
    [Default(GameFleetDefaults.AutoscalingPolicy)]
    public AutoscalingPolicy? Policy { get; set; }

    [JsonPropertyName("buffer")]
    [Description("Ready servers kept free above the Allocated ones.")]
    [Default("{}", IsJson = true)]
    public BufferSettings? Buffer { get; set; }

    [JsonPropertyName("minReplicas")]
    [Description("Fewest servers the autoscaler keeps.")]
    [Minimum(0)]
    [Default(GameFleetDefaults.MinReplicas)]
    public int? MinReplicas { get; set; }

    [JsonPropertyName("maxReplicas")]
    [Description("Most servers the autoscaler creates.")]
    [Required]
    [Minimum(1)]
    public int? MaxReplicas { get; set; }

    [JsonPropertyName("scaleDown")]
    [Description("How fast the autoscaler removes servers.")]
    [Default("{}", IsJson = true)]
    public ScaleDownSettings? ScaleDown { get; set; }
}

/// <summary>The autoscaling policies.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AutoscalingPolicy>))]
public enum AutoscalingPolicy
{
    Buffer,
}

/// <summary>The buffer of free servers.</summary>
public sealed class BufferSettings
{
    [JsonPropertyName("size")]
    [Description("A count (5) or a percent of the desired servers (\"20%\").")]
    [Default(GameFleetDefaults.BufferSize)]
    [Minimum(0)]
    [Pattern(FleetLimits.PercentPattern)]
    public IntOrString? Size { get; set; }
}

/// <summary>Limits on how fast the autoscaler scales down.</summary>
public sealed class ScaleDownSettings
{
    [JsonPropertyName("stabilizationWindowSeconds")]
    [Description("Scale down only when the lower target has held for this long.")]
    [Minimum(0)]
    [Maximum(ApiBounds.StabilizationWindowSecondsMax)]
    [Default(GameFleetDefaults.StabilizationWindowSeconds)]
    public int? StabilizationWindowSeconds { get; set; }

    [JsonPropertyName("maxPercentPerMinute")]
    [Description("Remove at most this percent of the servers per minute (at least one).")]
    [Minimum(ApiBounds.PercentMin)]
    [Maximum(ApiBounds.PercentMax)]
    [Default(GameFleetDefaults.MaxPercentPerMinute)]
    public int? MaxPercentPerMinute { get; set; }
}

/// <summary>The rollout strategy of a fleet.</summary>
public sealed class FleetStrategy
{
    [JsonPropertyName("type")]
    [Description("The rollout strategy; BlueGreen is the only one.")]
    [Default(GameFleetDefaults.Strategy)]
    public StrategyType? Type { get; set; }

    [JsonPropertyName("blueGreen")]
    [Description("Settings of the BlueGreen strategy.")]
    [Default("{}", IsJson = true)]
    public BlueGreenStrategy? BlueGreen { get; set; }
}

/// <summary>The rollout strategies.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StrategyType>))]
public enum StrategyType
{
    BlueGreen,
}

/// <summary>Settings of a blue-green rollout.</summary>
public sealed class BlueGreenStrategy
{
    [JsonPropertyName("autoPromote")]
    [Description("Promote green once readyPercent of it is Ready; when false, wait for the annotation gridgame.io/promote=<revision>.")]
    [Default(GameFleetDefaults.AutoPromote)]
    public bool? AutoPromote { get; set; }

    [JsonPropertyName("readyPercent")]
    [Description("Percent of the green servers that must be Ready before promotion.")]
    [Minimum(ApiBounds.PercentMin)]
    [Maximum(ApiBounds.PercentMax)]
    [Default(GameFleetDefaults.ReadyPercent)]
    public int? ReadyPercent { get; set; }

    [JsonPropertyName("progressDeadlineSeconds")]
    [Description("The rollout fails when green is not Ready within this many seconds.")]
    [Minimum(1)]
    [Default(GameFleetDefaults.ProgressDeadlineSeconds)]
    public int? ProgressDeadlineSeconds { get; set; }
}

/// <summary>When a server is unhealthy and gets replaced.</summary>
public sealed class FleetHealth
{
    [JsonPropertyName("unhealthyAfterSeconds")]
    [Description("A server that was Ready and is not Ready for this long is replaced.")]
    [Minimum(1)]
    [Default(GameFleetDefaults.UnhealthyAfterSeconds)]
    public int? UnhealthyAfterSeconds { get; set; }

    [JsonPropertyName("maxRestarts")]
    [Description("A server whose containers restarted more often than this is replaced.")]
    [Minimum(0)]
    [Default(GameFleetDefaults.MaxRestarts)]
    public int? MaxRestarts { get; set; }
}

/// <summary>What deleting a fleet does to its servers.</summary>
public sealed class FleetDeletion
{
    [JsonPropertyName("policy")]
    [Description("Drain: Ready servers go at once, Allocated servers finish their game first. Immediate: all servers go at once.")]
    [Default(GameFleetDefaults.Deletion)]
    public DeletionPolicy? Policy { get; set; }

    [JsonPropertyName("drainTimeoutSeconds")]
    [Description("The longest a deleted fleet waits for its Allocated servers.")]
    [Minimum(0)]
    [Default(GameFleetDefaults.DrainTimeoutSeconds)]
    public int? DrainTimeoutSeconds { get; set; }
}

/// <summary>The deletion policies.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeletionPolicy>))]
public enum DeletionPolicy
{
    Drain,
    Immediate,
}

/// <summary>The observed state of a GameFleet.</summary>
public sealed class GameFleetStatus
{
    [JsonPropertyName("observedGeneration")]
    [Description("The generation of the spec this status describes.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("replicas")]
    [Description("Servers of the fleet (all revisions, all states).")]
    public int? Replicas { get; set; }

    [JsonPropertyName("readyReplicas")]
    [Description("Servers Ready for allocation.")]
    public int? ReadyReplicas { get; set; }

    [JsonPropertyName("allocatedReplicas")]
    [Description("Servers playing a session.")]
    public int? AllocatedReplicas { get; set; }

    [JsonPropertyName("drainingReplicas")]
    [Description("Servers finishing a game before they go.")]
    public int? DrainingReplicas { get; set; }

    [JsonPropertyName("unhealthyReplicas")]
    [Description("Servers found unhealthy and being replaced.")]
    public int? UnhealthyReplicas { get; set; }

    [JsonPropertyName("desiredReplicas")]
    [Description("What the autoscaler last decided; the reason is in the ScalingLimited condition and an Event.")]
    public int? DesiredReplicas { get; set; }

    [JsonPropertyName("activeRevision")]
    [Description("The revision that receives allocations (blue).")]
    public string? ActiveRevision { get; set; }

    [JsonPropertyName("targetRevision")]
    [Description("The newest revision (green); equal to activeRevision when no rollout is under way.")]
    public string? TargetRevision { get; set; }

    [JsonPropertyName("rollout")]
    [Description("The rollout under way, or the last one.")]
    public RolloutStatus? Rollout { get; set; }

    [JsonPropertyName("selector")]
    [Description("The label selector of the fleet's servers, for the scale subresource.")]
    public string? Selector { get; set; }

    [JsonPropertyName("conditions")]
    [Description("Ready, Progressing, ScalingLimited, RolloutFailed, Invalid.")]
    [ListMap("type")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>The state of a blue-green rollout.</summary>
public sealed class RolloutStatus
{
    [JsonPropertyName("phase")]
    [Description("Idle, Progressing, AwaitingPromotion, Draining, Complete or Failed.")]
    public RolloutPhase? Phase { get; set; }

    [JsonPropertyName("startedAt")]
    [Description("When the rollout started.")]
    public DateTime? StartedAt { get; set; }

    [JsonPropertyName("message")]
    [Description("A human-readable account of the rollout.")]
    public string? Message { get; set; }
}

/// <summary>The phases of a blue-green rollout.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutPhase>))]
public enum RolloutPhase
{
    Idle,
    Progressing,
    AwaitingPromotion,
    Draining,
    Complete,
    Failed,
}

/// <summary>Limits shared by the schema and the semantic validators.</summary>
public static class FleetLimits
{
    /// <summary>A percent written as "N%", 0% to 100%.</summary>
    public const string PercentPattern = "^(100|[1-9]?[0-9])%$";
}
