using k8s.Models;

namespace GridGame.Crds.Tests;

/// <summary>Valid objects to start a test from.</summary>
internal static class Builders
{
    public static GameFleet Fleet(Action<GameFleetSpec>? change = null)
    {
        var fleet = new GameFleet
        {
            Metadata = new V1ObjectMeta { Name = "arena", NamespaceProperty = "default" },
            Spec = new GameFleetSpec
            {
                Replicas = 2,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "gridgame" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "gameserver", Image = "gridgame-gameserver:dev" }] },
                },
            },
        };
        change?.Invoke(fleet.Spec);
        return fleet;
    }

    public static GameSession Session(Action<GameSessionSpec>? change = null)
    {
        var session = new GameSession
        {
            Metadata = new V1ObjectMeta { Name = "match-1", NamespaceProperty = "default" },
            Spec = new GameSessionSpec { FleetName = "arena" },
        };
        change?.Invoke(session.Spec);
        return session;
    }
}
