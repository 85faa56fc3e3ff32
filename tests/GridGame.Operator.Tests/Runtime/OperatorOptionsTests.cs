using GridGame.Operator.Hosting;

namespace GridGame.Operator.Tests.Runtime;

public sealed class OperatorOptionsTests
{
    private static (OperatorOptions? Options, string? Error) Parse(string[] args, Dictionary<string, string>? env = null) =>
        OperatorOptionsParser.Parse(args, name => env?.GetValueOrDefault(name));

    [Fact]
    public void No_flags_and_no_environment_give_the_defaults()
    {
        var (options, error) = Parse([]);

        error.Should().BeNull();
        options!.Namespaces.Should().BeEmpty();
        options.Workers.Should().Be(16);
        options.HttpPort.Should().Be(8080);
        options.PortRange.Should().Be(new PortRange(7000, 8000));
        options.LeaderElectionEnabled.Should().BeTrue();
        options.LeaderElection.LeaseName.Should().Be("gridgame-operator");
        options.LeaderElection.LeaseDuration.Should().Be(TimeSpan.FromSeconds(15));
        options.Informers.UnhealthyAfter.Should().Be(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void Flags_are_read_and_namespace_repeats()
    {
        var (options, _) = Parse(["--namespace", "a", "--namespace=b", "--workers", "8", "--port-range", "7100-7200", "--http-port", "0",
            "--leader-election-name", "lock", "--leader-election-namespace", "ops", "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms",
            "--kubeconfig", "/tmp/kc", "--shutdown-timeout", "1m", "--informer-unhealthy-after", "30s"]);

        options!.Namespaces.Should().Equal("a", "b");
        options.Workers.Should().Be(8);
        options.PortRange.Should().Be(new PortRange(7100, 7200));
        options.HttpPort.Should().Be(0);
        options.LeaderElection.LeaseName.Should().Be("lock");
        options.LeaderElection.LeaseNamespace.Should().Be("ops");
        options.LeaderElection.LeaseDuration.Should().Be(TimeSpan.FromSeconds(4));
        options.LeaderElection.RenewDeadline.Should().Be(TimeSpan.FromSeconds(3));
        options.LeaderElection.RetryPeriod.Should().Be(TimeSpan.FromMilliseconds(500));
        options.Kubeconfig.Should().Be("/tmp/kc");
        options.ShutdownTimeout.Should().Be(TimeSpan.FromMinutes(1));
        options.Informers.UnhealthyAfter.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void The_environment_fills_in_and_flags_win()
    {
        var env = new Dictionary<string, string>
        {
            ["GRIDGAME_NAMESPACES"] = "x, y",
            ["GRIDGAME_WORKERS"] = "2",
            ["GRIDGAME_HTTP_PORT"] = "9090",
            ["POD_NAMESPACE"] = "gridgame-system",
            ["POD_NAME"] = "operator-0",
            ["KUBECONFIG"] = "/k",
        };

        var (options, _) = Parse(["--workers", "3"], env);

        options!.Namespaces.Should().Equal("x", "y");
        options.Workers.Should().Be(3);
        options.HttpPort.Should().Be(9090);
        options.LeaderElection.LeaseNamespace.Should().Be("gridgame-system");
        options.LeaderElection.Identity.Should().StartWith("operator-0_");
        options.Kubeconfig.Should().Be("/k");
    }

    [Theory]
    [InlineData(new[] { "--bogus", "1" }, "unknown option")]
    [InlineData(new[] { "--workers" }, "needs a value")]
    [InlineData(new[] { "--workers", "0" }, "not a positive number")]
    [InlineData(new[] { "--http-port", "70000" }, "not a port")]
    [InlineData(new[] { "--port-range", "8000-7000" }, "--port-range")]
    [InlineData(new[] { "--port-range", "7000" }, "FROM-TO")]
    [InlineData(new[] { "--lease-duration", "soon" }, "not a positive duration")]
    [InlineData(new[] { "--lease-duration", "5s", "--renew-deadline", "5s" }, "shorter than")]
    [InlineData(new[] { "--leader-elect", "maybe" }, "true or false")]
    public void Bad_input_is_refused_with_a_message(string[] args, string message)
    {
        var (options, error) = Parse(args);
        options.Should().BeNull();
        error.Should().Contain(message);
    }
}
