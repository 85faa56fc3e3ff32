using GridGame.Testing;

namespace GridGame.Operator.Tests.Runtime;

public sealed class EventIdTests
{
    [Fact]
    public void Every_log_line_of_the_operator_has_its_own_event_id_from_the_table()
    {
        EventIdTable.LogLines(typeof(EventIds).Assembly).Should().NotBeEmpty("the operator logs through [LoggerMessage] methods");
        EventIdTable.Problems(typeof(EventIds)).Should().BeEmpty();
    }
}
