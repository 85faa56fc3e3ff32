namespace GridGame.Operator.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Project_builds() => typeof(SmokeTests).Assembly.GetName().Name.Should().Be("GridGame.Operator.Tests");
}
