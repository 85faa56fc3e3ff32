using System.Globalization;
using GridGame.Crds;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Builds a game-server pod from a fleet's `spec.template` plus what the operator owns (docs/guides/fleets.md, "A fleet"): labels
/// fleet and revision (the state label is added only once the pod is Ready, so `gridgame.io/state=Ready` always
/// means allocatable), a controller ownerReference, ports per policy, env (`POD_NAME`, `POD_NAMESPACE` by the
/// downward API, the game settings as `GridGame__Game__*`), the ops port, a readiness probe on `/ready` and a liveness
/// probe on `/health` there unless the template has its own, and Packed (preferred pod affinity) or Distributed (preferred anti-affinity) on `kubernetes.io/hostname`.
/// Pure.
/// </summary>
internal static class PodFactory
{
    public const string HostnameTopology = "kubernetes.io/hostname";

    /// <summary>The name of the container port of /ready, /metrics and /health.</summary>
    public const string OpsPortName = "ops";

    /// <summary>The game server's default <c>GridGame:OpsPort</c>.</summary>
    public const int DefaultOpsPort = 8081;

    /// <summary>The container that serves the game: the one named `gameserver`, else the first.</summary>
    public static V1Container GameContainer(V1PodSpec spec) =>
        spec.Containers.FirstOrDefault(c => c.Name == "gameserver") ?? spec.Containers[0];

    /// <summary>How many hostPorts a pod of this fleet needs from the operator's range.</summary>
    public static int DynamicPortCount(GameFleetSpec spec) => Ports(spec).Count(p => p.Policy is null or PortPolicy.Dynamic);

    public static IReadOnlyList<GamePort> Ports(GameFleetSpec spec) =>
        spec.Ports is { Count: > 0 } ports ? ports.ToList() : [new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Dynamic }];

    /// <param name="dynamicHostPorts">One hostPort per Dynamic port, in the order of `spec.ports`.</param>
    public static V1Pod Create(GameFleet fleet, string revision, IReadOnlyList<int> dynamicHostPorts)
    {
        var spec = fleet.Spec;
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(spec.Template)) ?? new V1PodTemplateSpec();
        template.Spec ??= new V1PodSpec();
        template.Spec.Containers ??= [];
        if (template.Spec.Containers.Count == 0)
        {
            template.Spec.Containers.Add(new V1Container { Name = "gameserver", Image = "gridgame-gameserver" });
        }

        var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [WellKnown.FleetLabel] = fleet.Metadata.Name,
            [WellKnown.RevisionLabel] = revision,
        };
        labels.Remove(WellKnown.StateLabel);

        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = fleet.Metadata.Name + "-",
                NamespaceProperty = fleet.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = template.Metadata?.Annotations is { Count: > 0 } a ? new Dictionary<string, string>(a) : null,
                OwnerReferences = [PodFactory.ControllerReference(fleet)],
            },
            Spec = template.Spec,
        };

        var container = GameContainer(pod.Spec);
        var ports = Ports(spec);
        ApplyPorts(container, ports, dynamicHostPorts);
        ApplyEnv(container, spec.Game, ports[0]);
        ApplyOpsPort(container);
        container.ReadinessProbe ??= new V1Probe
        {
            HttpGet = new V1HTTPGetAction { Path = "/ready", Port = OpsPortName },
            PeriodSeconds = 2,
            FailureThreshold = 3,
        };
        // Generous: a server that has not answered /health for a minute is stuck, not busy; a restart ends its games.
        container.LivenessProbe ??= new V1Probe
        {
            HttpGet = new V1HTTPGetAction { Path = "/health", Port = OpsPortName },
            PeriodSeconds = 10,
            TimeoutSeconds = 2,
            FailureThreshold = 6,
        };
        ApplyScheduling(pod.Spec, fleet.Metadata.Name, spec.Scheduling ?? SchedulingStrategy.Packed);
        return pod;
    }

    /// <summary>
    /// The game server's ops port (<c>/ready</c>, <c>/metrics</c>, <c>/health</c>; <c>GridGame:OpsPort</c>, 8081 by default), declared
    /// so that probes and the PodMonitor can name it and the NetworkPolicy can open it to Prometheus alone. No hostPort:
    /// nothing outside the cluster network needs it. A template that declares a port named <c>ops</c> keeps its own.
    /// </summary>
    private static void ApplyOpsPort(V1Container container)
    {
        if (container.Ports.Any(p => p.Name == OpsPortName))
        {
            return;
        }
        container.Ports.Add(new V1ContainerPort { Name = OpsPortName, ContainerPort = DefaultOpsPort, Protocol = "TCP" });
    }

    private static void ApplyPorts(V1Container container, IReadOnlyList<GamePort> ports, IReadOnlyList<int> dynamicHostPorts)
    {
        container.Ports ??= [];
        var next = 0;
        foreach (var port in ports)
        {
            int? hostPort = port.Policy switch
            {
                PortPolicy.Static => port.HostPort,
                PortPolicy.None => null,
                _ => next < dynamicHostPorts.Count ? dynamicHostPorts[next++] : throw new ArgumentException("one hostPort per Dynamic port is needed", nameof(dynamicHostPorts)),
            };
            var existing = container.Ports.FirstOrDefault(p => p.ContainerPort == port.ContainerPort || (p.Name is not null && p.Name == port.Name));
            if (existing is null)
            {
                existing = new V1ContainerPort();
                container.Ports.Add(existing);
            }
            existing.Name = port.Name;
            existing.ContainerPort = port.ContainerPort!.Value;
            existing.HostPort = hostPort;
            existing.Protocol ??= "TCP";
        }
    }

    private static void ApplyEnv(V1Container container, GameSettings? game, GamePort gamePort)
    {
        container.Env ??= [];
        void Set(string name, string? value = null, string? fieldPath = null)
        {
            container.Env.Remove(container.Env.FirstOrDefault(e => e.Name == name)!);
            container.Env.Add(fieldPath is null
                ? new V1EnvVar { Name = name, Value = value }
                : new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = fieldPath } } });
        }
        Set("POD_NAME", fieldPath: "metadata.name");
        Set("POD_NAMESPACE", fieldPath: "metadata.namespace");
        if (game is not null)
        {
            static string? S(int? v) => v?.ToString(CultureInfo.InvariantCulture);
            if (game.BoardSize is not null) Set("GridGame__Game__BoardSize", S(game.BoardSize));
            if (game.MaxPlayers is not null) Set("GridGame__Game__MaxPlayers", S(game.MaxPlayers));
            if (game.MinPlayers is not null) Set("GridGame__Game__MinPlayers", S(game.MinPlayers));
            if (game.DurationSeconds is not null) Set("GridGame__Game__DurationSeconds", S(game.DurationSeconds));
            if (game.ClaimCooldownMs is not null) Set("GridGame__Game__ClaimCooldownMs", S(game.ClaimCooldownMs));
        }
        if (container.Env.All(e => e.Name != "ASPNETCORE_URLS"))
        {
            // The server listens on the game port; the kubelet (or the node) maps the hostPort to it.
            Set("ASPNETCORE_URLS", string.Create(CultureInfo.InvariantCulture, $"http://0.0.0.0:{gamePort.ContainerPort}"));
        }
    }

    private static void ApplyScheduling(V1PodSpec spec, string fleetName, SchedulingStrategy scheduling)
    {
        var term = new V1WeightedPodAffinityTerm
        {
            Weight = 100,
            PodAffinityTerm = new V1PodAffinityTerm
            {
                TopologyKey = HostnameTopology,
                LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [WellKnown.FleetLabel] = fleetName } },
            },
        };
        spec.Affinity ??= new V1Affinity();
        if (scheduling == SchedulingStrategy.Packed)
        {
            spec.Affinity.PodAffinity ??= new V1PodAffinity();
            spec.Affinity.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution ??= [];
            spec.Affinity.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution.Add(term);
        }
        else
        {
            spec.Affinity.PodAntiAffinity ??= new V1PodAntiAffinity();
            spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution ??= [];
            spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution.Add(term);
        }
    }

    /// <summary>The controller ownerReference every object the fleet owns carries (pods, ControllerRevisions), so garbage collection removes them with it.</summary>
    public static V1OwnerReference ControllerReference(GameFleet fleet) => new()
    {
        ApiVersion = GridGameApi.ApiVersion,
        Kind = GameFleet.KubeKind,
        Name = fleet.Metadata.Name,
        Uid = fleet.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };
}
