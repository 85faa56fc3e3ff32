using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Scheduling;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Scheduling;

/// <summary>Builders for the scheduler's inputs.</summary>
internal static class Build
{
    public static V1Node Node(string name, string cpu = "4", string memory = "8Gi", int pods = 110, bool ready = true, params (string Key, string Value)[] labels)
    {
        var spec = new LocalNodeSpec(name) { Cpu = cpu, Memory = memory, Pods = pods, Labels = labels.ToDictionary(l => l.Key, l => l.Value) };
        var node = NodeFactory.Node(spec);
        node.Status = NodeFactory.Status(spec, KubeletKind.Simulated, DateTime.UtcNow);
        if (!ready)
        {
            node.Status.Conditions[0].Status = "False";
        }
        return node;
    }

    public static V1Pod Pod(string name, string? cpu = null, string? memory = null, int? hostPort = null, string ns = "default", params (string Key, string Value)[] labels) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString(), Labels = labels.ToDictionary(l => l.Key, l => l.Value) },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Image = "gridgame-gameserver",
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity>(
                            new[] { ("cpu", cpu), ("memory", memory) }.Where(r => r.Item2 is not null).Select(r => KeyValuePair.Create(r.Item1, new ResourceQuantity(r.Item2)))),
                    },
                    Ports = hostPort is null ? null : [new V1ContainerPort { ContainerPort = 7777, HostPort = hostPort }],
                },
            ],
        },
    };

    public static V1Pod WithNodeSelector(this V1Pod pod, string key, string value)
    {
        pod.Spec.NodeSelector = new Dictionary<string, string> { [key] = value };
        return pod;
    }

    /// <summary>Preferred pod affinity (Packed) or anti-affinity (Distributed) on the hostname, towards pods labelled app=game.</summary>
    public static V1Pod Preferring(this V1Pod pod, bool together, int weight = 100)
    {
        var term = new V1WeightedPodAffinityTerm
        {
            Weight = weight,
            PodAffinityTerm = new V1PodAffinityTerm
            {
                TopologyKey = PodScheduler.HostnameLabel,
                LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "game" } },
            },
        };
        pod.Spec.Affinity = together
            ? new V1Affinity { PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [term] } }
            : new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [term] } };
        return pod;
    }

    public static V1Pod RequiringApart(this V1Pod pod)
    {
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        TopologyKey = PodScheduler.HostnameLabel,
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "game" } },
                    },
                ],
            },
        };
        return pod;
    }

    public static V1Pod Game(string name) => Pod(name, labels: ("app", "game"));
}
