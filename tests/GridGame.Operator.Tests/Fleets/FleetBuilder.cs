using GridGame.Crds;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>Builds GameFleet objects for tests: a minimal valid fleet with every default spelled out.</summary>
internal static class FleetBuilder
{
    public static GameFleet Fleet(string name = "arena", int replicas = 3, string ns = "default", SchedulingStrategy scheduling = SchedulingStrategy.Packed) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = "uid-" + name },
        Spec = new GameFleetSpec
        {
            Replicas = replicas,
            Scheduling = scheduling,
            Game = new GameSettings { BoardSize = 8, MaxPlayers = 10, MinPlayers = 2, DurationSeconds = 300, ClaimCooldownMs = 100 },
            Ports = [new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Dynamic }],
            Health = new FleetHealth { UnhealthyAfterSeconds = 30, MaxRestarts = 3 },
            Deletion = new FleetDeletion { Policy = DeletionPolicy.Drain, DrainTimeoutSeconds = 3600 },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "gridgame" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "gameserver", Image = "ghcr.io/owner/gridgame-gameserver:1.0.0" }] },
            },
        },
    };
}
