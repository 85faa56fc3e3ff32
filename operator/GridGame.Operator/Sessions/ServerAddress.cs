using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Fleets;
using k8s.Models;

namespace GridGame.Operator.Sessions;

/// <summary>Where players reach a server.</summary>
internal sealed record Endpoint(string Address, int Port)
{
    public string Url(string session) => string.Create(CultureInfo.InvariantCulture, $"http://{Address}:{Port}/hubs/game?session={Uri.EscapeDataString(session)}");
}

/// <summary>
/// The address of docs/design.md ("Allocation"), for the fleet's first (game) port: Dynamic and Static → the node's ExternalIP, else its
/// InternalIP, and the pod's hostPort; None → the pod IP and the containerPort. Null when not known yet.
/// </summary>
internal static class ServerAddress
{
    public static Endpoint? For(V1Pod pod, V1Node? node, GamePort gamePort)
    {
        if (gamePort.Policy == PortPolicy.None)
        {
            return pod.Status?.PodIP is { Length: > 0 } ip ? new Endpoint(ip, gamePort.ContainerPort ?? 0) : null;
        }
        var container = pod.Spec?.Containers is { Count: > 0 } ? PodFactory.GameContainer(pod.Spec) : null;
        var hostPort = container?.Ports?.FirstOrDefault(p => p.Name == gamePort.Name || p.ContainerPort == gamePort.ContainerPort)?.HostPort;
        var address = NodeAddress(node) ?? pod.Status?.HostIP;
        return hostPort is { } port && address is { Length: > 0 } ? new Endpoint(address, port) : null;
    }

    public static string? NodeAddress(V1Node? node)
    {
        var addresses = node?.Status?.Addresses ?? [];
        return addresses.FirstOrDefault(a => a.Type == "ExternalIP")?.Address
            ?? addresses.FirstOrDefault(a => a.Type == "InternalIP")?.Address;
    }
}
