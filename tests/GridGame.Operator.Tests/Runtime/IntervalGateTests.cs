using GridGame.Operator.Runtime;

namespace GridGame.Operator.Tests.Runtime;

public sealed class IntervalGateTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(new[] { 0 }, new[] { true })]
    [InlineData(new[] { 0, 0 }, new[] { true, false })]
    [InlineData(new[] { 0, 999, 1000 }, new[] { true, false, false })]
    [InlineData(new[] { 0, 1001 }, new[] { true, true })]
    [InlineData(new[] { 0, 500, 1001, 1500, 2002 }, new[] { true, false, true, false, true })]
    [InlineData(new[] { 0, -5000 }, new[] { true, false })]
    public void Passes_the_first_call_then_once_more_than_an_interval_has_gone_by(int[] callsAtMs, bool[] passed)
    {
        var gate = new IntervalGate(TimeSpan.FromSeconds(1));
        callsAtMs.Select(ms => gate.TryPass(T0.AddMilliseconds(ms))).Should().Equal(passed);
    }
}
