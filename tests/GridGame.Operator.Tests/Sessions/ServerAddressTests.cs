using GridGame.Crds;
using GridGame.Operator.Sessions;
using k8s.Models;

namespace GridGame.Operator.Tests.Sessions;

public sealed class ServerAddressTests
{
    private static V1Pod Pod(int? hostPort) => new()
    {
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "gameserver", Ports = [new V1ContainerPort { Name = "game", ContainerPort = 7777, HostPort = hostPort }] }] },
        Status = new V1PodStatus { PodIP = "10.0.0.7", HostIP = "192.168.0.9" },
    };

    private static V1Node Node(params (string Type, string Address)[] addresses) => new()
    {
        Status = new V1NodeStatus { Addresses = addresses.Select(a => new V1NodeAddress { Type = a.Type, Address = a.Address }).ToList() },
    };

    private static readonly GamePort Dynamic = new() { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Dynamic };

    [Fact]
    public void Dynamic_ports_use_the_nodes_external_ip_and_the_host_port() =>
        ServerAddress.For(Pod(7001), Node(("InternalIP", "10.1.1.1"), ("ExternalIP", "34.1.1.1")), Dynamic).Should().Be(new Endpoint("34.1.1.1", 7001));

    [Fact]
    public void Without_an_external_ip_the_internal_ip_is_used() =>
        ServerAddress.For(Pod(7001), Node(("InternalIP", "10.1.1.1")), Dynamic).Should().Be(new Endpoint("10.1.1.1", 7001));

    [Fact]
    public void Policy_None_uses_the_pod_ip_and_container_port() =>
        ServerAddress.For(Pod(null), Node(("InternalIP", "10.1.1.1")), new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.None })
            .Should().Be(new Endpoint("10.0.0.7", 7777));

    [Fact]
    public void The_url_points_at_the_hub_with_the_session() =>
        new Endpoint("10.1.1.1", 7001).Url("match-abc").Should().Be("http://10.1.1.1:7001/hubs/game?session=match-abc");
}
