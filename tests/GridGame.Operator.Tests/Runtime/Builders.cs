using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>Pods for runtime tests.</summary>
internal static class PodBuilder
{
    public static V1Pod Pod(string name, string? rv = "1", string ns = "default", string? fleet = null, string? ownerUid = null, string ownerKind = "GameFleet", string? ownerName = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            ResourceVersion = rv,
            Uid = Guid.NewGuid().ToString(),
            Labels = fleet is null ? null : new Dictionary<string, string> { ["gridgame.io/fleet"] = fleet },
            OwnerReferences = ownerUid is null ? null :
            [
                new V1OwnerReference { ApiVersion = "gridgame.io/v1", Kind = ownerKind, Name = ownerName ?? fleet ?? "owner", Uid = ownerUid, Controller = true },
            ],
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };
}
