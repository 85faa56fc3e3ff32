using k8s;
using k8s.Models;

namespace GridGame.Crds;

/// <summary>
/// The defaults of a GameFleet, the same ones the generated CRD schema declares (so the API server fills them in).
/// <see cref="Apply"/> fills absent fields in place and is idempotent.
/// </summary>
public static class GameFleetDefaults
{
    public const int Replicas = 1;
    public const SchedulingStrategy Scheduling = SchedulingStrategy.Packed;
    public const int BoardSize = 8;
    public const int MaxPlayers = 10;
    public const int MinPlayers = 2;
    public const int DurationSeconds = 300;
    public const int ClaimCooldownMs = 100;
    public const string PortName = "game";
    public const int ContainerPort = 7777;
    public const PortPolicy Policy = PortPolicy.Dynamic;
    public const AutoscalingPolicy AutoscalingPolicy = Crds.AutoscalingPolicy.Buffer;
    public const int BufferSize = 5;
    public const int MinReplicas = 0;
    public const int StabilizationWindowSeconds = 300;
    public const int MaxPercentPerMinute = 10;
    public const StrategyType Strategy = StrategyType.BlueGreen;
    public const bool AutoPromote = true;
    public const int ReadyPercent = 100;
    public const int ProgressDeadlineSeconds = 600;
    public const int UnhealthyAfterSeconds = 30;
    public const int MaxRestarts = 3;
    public const DeletionPolicy Deletion = DeletionPolicy.Drain;
    public const int DrainTimeoutSeconds = 3600;

    /// <summary>
    /// A defaulted deep copy of <paramref name="fleet"/>, leaving the original alone (for objects read from an
    /// informer's cache, which must not be mutated).
    /// </summary>
    public static GameFleet WithDefaults(GameFleet fleet) => Apply(KubernetesJson.Deserialize<GameFleet>(KubernetesJson.Serialize(fleet)));

    /// <summary>Fills every absent field of <paramref name="fleet"/>'s spec with its default; returns the same fleet.</summary>
    public static GameFleet Apply(GameFleet fleet)
    {
        var spec = fleet.Spec ??= new GameFleetSpec();
        spec.Replicas ??= Replicas;
        spec.Scheduling ??= Scheduling;

        var game = spec.Game ??= new GameSettings();
        game.BoardSize ??= BoardSize;
        game.MaxPlayers ??= MaxPlayers;
        game.MinPlayers ??= MinPlayers;
        game.DurationSeconds ??= DurationSeconds;
        game.ClaimCooldownMs ??= ClaimCooldownMs;

        spec.Ports ??= [new GamePort { Name = PortName, ContainerPort = ContainerPort, Policy = Policy }];
        foreach (var port in spec.Ports.Where(p => p is not null))
        {
            port.Policy ??= Policy;
        }

        if (spec.Autoscaling is { } autoscaling)
        {
            autoscaling.Policy ??= AutoscalingPolicy;
            var buffer = autoscaling.Buffer ??= new BufferSettings();
            buffer.Size ??= BufferSize;
            autoscaling.MinReplicas ??= MinReplicas;
            var scaleDown = autoscaling.ScaleDown ??= new ScaleDownSettings();
            scaleDown.StabilizationWindowSeconds ??= StabilizationWindowSeconds;
            scaleDown.MaxPercentPerMinute ??= MaxPercentPerMinute;
        }

        var strategy = spec.Strategy ??= new FleetStrategy();
        strategy.Type ??= Strategy;
        var blueGreen = strategy.BlueGreen ??= new BlueGreenStrategy();
        blueGreen.AutoPromote ??= AutoPromote;
        blueGreen.ReadyPercent ??= ReadyPercent;
        blueGreen.ProgressDeadlineSeconds ??= ProgressDeadlineSeconds;

        var health = spec.Health ??= new FleetHealth();
        health.UnhealthyAfterSeconds ??= UnhealthyAfterSeconds;
        health.MaxRestarts ??= MaxRestarts;

        var deletion = spec.Deletion ??= new FleetDeletion();
        deletion.Policy ??= Deletion;
        deletion.DrainTimeoutSeconds ??= DrainTimeoutSeconds;

        spec.Template ??= new V1PodTemplateSpec();
        return fleet;
    }
}

/// <summary>The defaults of a GameSession, the same ones the generated CRD schema declares.</summary>
public static class GameSessionDefaults
{
    public const int AllocationTimeoutSeconds = 30;
    public const int TtlSecondsAfterFinished = 3600;

    /// <summary>A defaulted deep copy of <paramref name="session"/>, leaving the original alone.</summary>
    public static GameSession WithDefaults(GameSession session) => Apply(KubernetesJson.Deserialize<GameSession>(KubernetesJson.Serialize(session)));

    /// <summary>Fills every absent defaulted field of <paramref name="session"/>'s spec; returns the same session.</summary>
    public static GameSession Apply(GameSession session)
    {
        var spec = session.Spec ??= new GameSessionSpec();
        spec.AllocationTimeoutSeconds ??= AllocationTimeoutSeconds;
        spec.TtlSecondsAfterFinished ??= TtlSecondsAfterFinished;
        return session;
    }

    /// <summary>
    /// The game settings a session plays by: its overrides where given, else the fleet's (defaulted) settings.
    /// </summary>
    public static GameSettings EffectiveGame(GameSession session, GameFleet fleet)
    {
        var fleetGame = fleet.Spec?.Game;
        var overrides = session.Spec?.Game;
        return new GameSettings
        {
            BoardSize = overrides?.BoardSize ?? fleetGame?.BoardSize ?? GameFleetDefaults.BoardSize,
            MaxPlayers = overrides?.MaxPlayers ?? fleetGame?.MaxPlayers ?? GameFleetDefaults.MaxPlayers,
            MinPlayers = overrides?.MinPlayers ?? fleetGame?.MinPlayers ?? GameFleetDefaults.MinPlayers,
            DurationSeconds = overrides?.DurationSeconds ?? fleetGame?.DurationSeconds ?? GameFleetDefaults.DurationSeconds,
            ClaimCooldownMs = fleetGame?.ClaimCooldownMs ?? GameFleetDefaults.ClaimCooldownMs,
        };
    }
}
