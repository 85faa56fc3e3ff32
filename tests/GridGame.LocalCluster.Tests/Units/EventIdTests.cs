using GridGame.Testing;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class EventIdTests
{
    [Fact]
    public void Every_log_line_of_LocalCluster_has_its_own_event_id_from_the_table()
    {
        EventIdTable.LogLines(typeof(EventIds).Assembly).Should().NotBeEmpty("LocalCluster logs through [LoggerMessage] methods");
        EventIdTable.Problems(typeof(EventIds)).Should().BeEmpty();
    }
}
