using GridGame.Operator.Hosting;
using GridGame.Operator.Ports;

namespace GridGame.Operator.Tests.Ports;

public sealed class PortAllocatorTests
{
    private static readonly PortRange Range = new(7000, 7002);

    [Fact]
    public void The_least_used_port_is_given_first()
    {
        var usage = new Dictionary<int, int> { [7000] = 1, [7001] = 0, [7002] = 1 };
        PortAllocator.Allocate(Range, 1, usage, nodeCount: 2).Should().Equal(7001);
        usage[7001].Should().Be(1);
    }

    [Fact]
    public void Ports_are_reused_once_per_node_and_then_run_out()
    {
        var usage = new Dictionary<int, int>();
        var given = Enumerable.Range(0, 6).Select(_ => PortAllocator.Allocate(Range, 1, usage, nodeCount: 2)![0]).ToList();
        given.Should().Equal(7000, 7001, 7002, 7000, 7001, 7002);
        PortAllocator.Allocate(Range, 1, usage, nodeCount: 2).Should().BeNull();
    }

    [Fact]
    public void A_pod_with_several_dynamic_ports_gets_distinct_ones()
    {
        var usage = new Dictionary<int, int>();
        PortAllocator.Allocate(Range, 3, usage, nodeCount: 1).Should().Equal(7000, 7001, 7002);
    }

    [Fact]
    public void Nothing_is_taken_when_the_request_cannot_be_met()
    {
        var usage = new Dictionary<int, int> { [7000] = 1 };
        PortAllocator.Allocate(Range, 3, usage, nodeCount: 1).Should().BeNull();
        usage.Should().ContainSingle();
    }
}
