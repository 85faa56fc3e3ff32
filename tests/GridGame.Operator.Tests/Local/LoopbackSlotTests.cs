using FluentAssertions;
using GridGame.Operator.Local;
using Xunit;

namespace GridGame.Operator.Tests.Local;

public sealed class LoopbackSlotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridgame-slots-").FullName;

    [Fact]
    public async Task Two_runs_hold_different_slots_and_a_released_slot_is_taken_again()
    {
        var first = LoopbackSlot.Acquire(_directory);
        await using (var second = LoopbackSlot.Acquire(_directory))
        {
            first.Number.Should().Be(0);
            second.Number.Should().Be(1);
            second.NodeAddress(0).Should().Be("127.1.0.1");
        }

        await using var third = LoopbackSlot.Acquire(_directory);
        third.Number.Should().Be(1, "the second run's slot was released when it stopped");
        await first.DisposeAsync();
        await using var fourth = LoopbackSlot.Acquire(_directory);
        fourth.Number.Should().Be(0);
    }

    [Theory]
    [InlineData(0, "127.3.0.1")]
    [InlineData(253, "127.3.0.254")]
    [InlineData(254, "127.3.1.1")]
    public async Task Node_addresses_stay_inside_the_slot(int node, string address)
    {
        var slots = new List<LoopbackSlot>();
        for (var i = 0; i < 4; i++)
        {
            slots.Add(LoopbackSlot.Acquire(_directory));
        }

        slots[3].NodeAddress(node).Should().Be(address);
        foreach (var slot in slots)
        {
            await slot.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
