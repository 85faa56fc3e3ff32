using System.Globalization;
using k8s.Models;

namespace GridGame.LocalCluster.Nodes;

/// <summary>Builds the Node objects and heartbeats a kubelet registers, from a <see cref="LocalNodeSpec"/>.</summary>
internal static class NodeFactory
{
    public const string LeaseNamespace = "kube-node-lease";

    public static IReadOnlyList<LocalNodeSpec> Specs(LocalNodesOptions options, bool simulated)
    {
        if (options.Nodes is { Count: > 0 } explicitNodes)
        {
            return explicitNodes;
        }
        return Enumerable.Range(0, Math.Max(1, options.NodeCount))
            .Select(i => new LocalNodeSpec(options.NodeNamePrefix + i.ToString(CultureInfo.InvariantCulture))
            {
                // Simulated nodes get distinct documentation-range addresses so tests can tell nodes apart.
                // Process nodes all live on this machine, each on its own loopback address (Linux routes all of
                // 127/8 to lo), so two pods with the same hostPort on different nodes do not collide.
                InternalIP = simulated ? $"10.0.{i / 250}.{(i % 250) + 1}" : $"127.0.{i / 254}.{(i % 254) + 1}",
                ExternalIP = simulated ? $"203.0.{113 + (i / 250)}.{(i % 250) + 1}" : $"127.0.{i / 254}.{(i % 254) + 1}",
            })
            .ToList();
    }

    public static V1Node Node(LocalNodeSpec spec)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubernetes.io/hostname"] = spec.Name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["node.kubernetes.io/instance-type"] = "localcluster",
        };
        foreach (var (k, v) in spec.Labels)
        {
            labels[k] = v;
        }
        return new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = spec.Name, Labels = labels },
            Spec = new V1NodeSpec(),
        };
    }

    public static V1NodeStatus Status(LocalNodeSpec spec, KubeletKind kind, DateTime now, int kubeletPort = 0)
    {
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(spec.Cpu),
            ["memory"] = new(spec.Memory),
            ["pods"] = new(spec.Pods.ToString(CultureInfo.InvariantCulture)),
        };
        return new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = new Dictionary<string, ResourceQuantity>(capacity),
            Addresses =
            [
                new V1NodeAddress { Address = spec.InternalIP, Type = "InternalIP" },
                new V1NodeAddress { Address = spec.ExternalIP, Type = "ExternalIP" },
                new V1NodeAddress { Address = spec.Name, Type = "Hostname" },
            ],
            Conditions = [ReadyCondition(now, now)],
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = "amd64",
                OperatingSystem = "linux",
                KubeletVersion = "v1.31.0-localcluster",
                KubeProxyVersion = "v1.31.0-localcluster",
                ContainerRuntimeVersion = kind == KubeletKind.Process ? "process://localcluster" : "simulated://localcluster",
                OsImage = "LocalCluster",
                KernelVersion = Environment.OSVersion.Version.ToString(),
                MachineID = spec.Name,
                SystemUUID = spec.Name,
                BootID = spec.Name,
            },
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = kubeletPort } },
        };
    }

    public static V1NodeCondition ReadyCondition(DateTime heartbeat, DateTime transition) => new()
    {
        Type = "Ready",
        Status = "True",
        Reason = "KubeletReady",
        Message = "kubelet is posting ready status",
        LastHeartbeatTime = heartbeat,
        LastTransitionTime = transition,
    };

    public static V1Lease Lease(string nodeName, DateTime now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta { Name = nodeName, NamespaceProperty = LeaseNamespace },
        Spec = new V1LeaseSpec { HolderIdentity = nodeName, LeaseDurationSeconds = 40, RenewTime = now },
    };
}
