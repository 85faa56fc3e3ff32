using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Cli;
using GridGame.Operator.Hosting;
using GridGame.Operator.Local;

namespace GridGame.Operator.Tests.Cli;

public sealed class OperatorCommandLineTests
{
    private static CommandLineRequest Parse(string[] args, Dictionary<string, string>? env = null) =>
        OperatorCommandLine.Parse(args, name => env?.GetValueOrDefault(name));

    private static OperatorOptions Run(string[] args, Dictionary<string, string>? env = null)
    {
        var request = Parse(args, env);
        return request.Should().BeOfType<CommandLineRequest.Run>("the command line is valid: {0}", Describe(request)).Subject.Options;
    }

    private static LocalModeOptions Local(string[] args, Dictionary<string, string>? env = null)
    {
        var request = Parse(["local", .. args], env);
        return request.Should().BeOfType<CommandLineRequest.Local>("the command line is valid: {0}", Describe(request)).Subject.Options;
    }

    private static string Describe(CommandLineRequest request) =>
        request is CommandLineRequest.Invalid invalid ? string.Join(" | ", invalid.Errors) : request.ToString();

    [Theory]
    [InlineData("")]
    [InlineData("run")]
    public void No_flags_and_no_environment_give_the_defaults(string commandLine)
    {
        var options = Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        options.Namespaces.Should().BeEmpty();
        options.Workers.Should().Be(16);
        options.HttpPort.Should().Be(8080);
        options.HttpAddress.Should().Be("0.0.0.0");
        options.PortRange.Should().Be(new PortRange(7000, 8000));
        options.LeaderElectionEnabled.Should().BeTrue();
        options.LeaderElection.LeaseName.Should().Be("gridgame-operator");
        options.LeaderElection.LeaseNamespace.Should().Be("default");
        options.LeaderElection.LeaseDuration.Should().Be(TimeSpan.FromSeconds(15));
        options.LeaderElection.RenewDeadline.Should().Be(TimeSpan.FromSeconds(10));
        options.LeaderElection.RetryPeriod.Should().Be(TimeSpan.FromSeconds(2));
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(20));
        options.Informers.UnhealthyAfter.Should().Be(TimeSpan.FromMinutes(2));
        options.Kubeconfig.Should().BeNull();
    }

    [Fact]
    public void Flags_are_read_and_namespace_repeats()
    {
        var options = Run(["run", "--namespace", "a", "--namespace=b,c", "--workers", "8", "--port-range", "7100-7200", "--http-port", "0",
            "--leader-election-name", "lock", "--leader-election-namespace", "ops", "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms",
            "--kubeconfig", "/tmp/kc", "--shutdown-timeout", "1m", "--http-address", "127.0.0.1", "--leader-elect=false", "--informer-unhealthy-after", "30s"]);

        options.Namespaces.Should().Equal("a", "b", "c");
        options.Workers.Should().Be(8);
        options.PortRange.Should().Be(new PortRange(7100, 7200));
        options.HttpPort.Should().Be(0);
        options.HttpAddress.Should().Be("127.0.0.1");
        options.LeaderElectionEnabled.Should().BeFalse();
        options.LeaderElection.LeaseName.Should().Be("lock");
        options.LeaderElection.LeaseNamespace.Should().Be("ops");
        options.LeaderElection.LeaseDuration.Should().Be(TimeSpan.FromSeconds(4));
        options.LeaderElection.RenewDeadline.Should().Be(TimeSpan.FromSeconds(3));
        options.LeaderElection.RetryPeriod.Should().Be(TimeSpan.FromMilliseconds(500));
        options.Kubeconfig.Should().Be("/tmp/kc");
        options.ShutdownTimeout.Should().Be(TimeSpan.FromMinutes(1));
        options.Informers.UnhealthyAfter.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(new[] { "--workers", "3" }, 3)]
    [InlineData(new[] { "run", "--workers", "3" }, 3)]
    [InlineData(new[] { "--workers=3" }, 3)]
    [InlineData(new[] { "--workers", "3", "--workers", "5" }, 5)]
    public void Run_is_the_default_command_and_a_repeated_flag_takes_its_last_value(string[] args, int workers) =>
        Run(args).Workers.Should().Be(workers);

    [Theory]
    [InlineData("15", 15_000)]
    [InlineData("500ms", 500)]
    [InlineData("2.5s", 2_500)]
    [InlineData("1m", 60_000)]
    public void A_duration_is_seconds_or_a_number_with_a_unit(string text, int milliseconds) =>
        Run(["--shutdown-timeout", text]).ShutdownTimeout.Should().Be(TimeSpan.FromMilliseconds(milliseconds));

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("NO", false)]
    public void Leader_elect_takes_a_boolean_word(string text, bool enabled) =>
        Run(["--leader-elect", text]).LeaderElectionEnabled.Should().Be(enabled);

    [Fact]
    public void The_environment_fills_in_and_flags_win()
    {
        var env = new Dictionary<string, string>
        {
            ["GRIDGAME_NAMESPACES"] = "x, y",
            ["GRIDGAME_WORKERS"] = "2",
            ["GRIDGAME_HTTP_PORT"] = "9090",
            ["GRIDGAME_LEASE_DURATION"] = "30s",
            ["GRIDGAME_LEADER_ELECT"] = "false",
            ["POD_NAMESPACE"] = "gridgame-system",
            ["POD_NAME"] = "operator-0",
            ["KUBECONFIG"] = "/k",
        };

        var options = Run(["--workers", "3"], env);

        options.Namespaces.Should().Equal("x", "y");
        options.Workers.Should().Be(3);
        options.HttpPort.Should().Be(9090);
        options.LeaderElectionEnabled.Should().BeFalse();
        options.LeaderElection.LeaseDuration.Should().Be(TimeSpan.FromSeconds(30));
        options.LeaderElection.LeaseNamespace.Should().Be("gridgame-system");
        options.LeaderElection.Identity.Should().StartWith("operator-0_");
        options.Kubeconfig.Should().Be("/k");
    }

    [Fact]
    public void The_lease_namespace_flag_wins_over_the_pods_namespace()
    {
        var env = new Dictionary<string, string> { ["POD_NAMESPACE"] = "gridgame-system", ["GRIDGAME_LEADER_ELECTION_NAMESPACE"] = "leases" };

        Run([], env).LeaderElection.LeaseNamespace.Should().Be("leases");
        Run(["--leader-election-namespace", "ops"], env).LeaderElection.LeaseNamespace.Should().Be("ops");
    }

    [Theory]
    [InlineData(new[] { "--bogus", "1" }, "gridgame-operator run", "unknown option '--bogus'")]
    [InlineData(new[] { "run", "extra" }, "gridgame-operator run", "unexpected argument 'extra'")]
    [InlineData(new[] { "--workers" }, "gridgame-operator run", "--workers needs a value")]
    [InlineData(new[] { "--workers", "0" }, "gridgame-operator run", "--workers: '0' is not a positive number")]
    [InlineData(new[] { "--workers", "none" }, "gridgame-operator run", "--workers: 'none' is not a positive number")]
    [InlineData(new[] { "--http-port", "70000" }, "gridgame-operator run", "--http-port: '70000' is not a valid port")]
    [InlineData(new[] { "--port-range", "8000-7000" }, "gridgame-operator run", "--port-range: '8000-7000' is empty or starts at 0")]
    [InlineData(new[] { "--port-range", "7000" }, "gridgame-operator run", "--port-range: '7000' is not FROM-TO")]
    [InlineData(new[] { "--lease-duration", "soon" }, "gridgame-operator run", "--lease-duration: 'soon' is not a positive duration")]
    [InlineData(new[] { "--lease-duration", "500ms", "--renew-deadline", "200ms" }, "gridgame-operator run", "--lease-duration must be at least 1s")]
    [InlineData(new[] { "--lease-duration", "5s", "--renew-deadline", "5s" }, "gridgame-operator run", "--renew-deadline must be shorter than --lease-duration")]
    [InlineData(new[] { "--leader-elect", "maybe" }, "gridgame-operator run", "--leader-elect: 'maybe' is not true or false")]
    [InlineData(new[] { "local", "--api-port", "abc" }, "gridgame-operator local", "--api-port: 'abc' is not a valid port")]
    [InlineData(new[] { "local", "--lobby-port", "-1" }, "gridgame-operator local", "--lobby-port: '-1' is not a valid port")]
    [InlineData(new[] { "local", "--nodes", "0" }, "gridgame-operator local", "--nodes: '0' is not a number from 1 to 1000")]
    [InlineData(new[] { "local", "--kubelet", "docker" }, "gridgame-operator local", "--kubelet: 'docker' is not process or simulated")]
    [InlineData(new[] { "local", "--workers", "2" }, "gridgame-operator local", "unknown option '--workers'")]
    [InlineData(new[] { "crds", "--out" }, "gridgame-operator crds", "--out needs a value")]
    [InlineData(new[] { "crds", "--bogus" }, "gridgame-operator crds", "unknown option '--bogus'")]
    [InlineData(new[] { "deploy" }, "gridgame-operator", "unexpected argument 'deploy'")]
    public void Bad_input_is_refused_with_a_message_that_names_the_flag(string[] args, string command, string message)
    {
        var invalid = Parse(args).Should().BeOfType<CommandLineRequest.Invalid>().Subject;

        invalid.Command.Should().Be(command);
        invalid.Errors.Should().ContainSingle(e => e.Contains(message, StringComparison.Ordinal), "errors: {0}", string.Join(" | ", invalid.Errors));
    }

    [Fact]
    public void A_bad_environment_value_is_refused_with_the_flag_it_stands_for()
    {
        var invalid = Parse([], new() { ["GRIDGAME_WORKERS"] = "many" }).Should().BeOfType<CommandLineRequest.Invalid>().Subject;

        invalid.Errors.Should().Equal("--workers: 'many' is not a positive number");
    }

    [Fact]
    public void Local_flags_are_read()
    {
        var options = Local(["--kubeconfig", "/tmp/kc", "--api-port", "6443", "--lobby-port=8081", "--kubelet", "simulated", "--nodes", "20",
            "--api-only", "--no-sample", "--gameserver", "/bin/gs"]);

        options.Should().BeEquivalentTo(new LocalModeOptions
        {
            Kubeconfig = "/tmp/kc", ApiPort = 6443, LobbyPort = 8081, Kubelet = KubeletKind.Simulated, Nodes = 20, ApiOnly = true, Sample = false, GameServer = "/bin/gs",
        });
    }

    [Fact]
    public void Local_defaults_and_the_game_server_from_the_environment()
    {
        Local([]).Should().BeEquivalentTo(new LocalModeOptions());
        Local([], new() { ["GRIDGAME_GAMESERVER"] = "/opt/gs" }).GameServer.Should().Be("/opt/gs");
        Local(["--gameserver", "/bin/gs"], new() { ["GRIDGAME_GAMESERVER"] = "/opt/gs" }).GameServer.Should().Be("/bin/gs");
    }

    [Theory]
    [InlineData(new[] { "crds" }, null)]
    [InlineData(new[] { "crds", "--out", "/tmp/crds" }, "/tmp/crds")]
    [InlineData(new[] { "crds", "-o", "-" }, "-")]
    [InlineData(new[] { "crds", "--out=out" }, "out")]
    public void Crds_reads_its_output(string[] args, string? output) =>
        Parse(args).Should().Be(new CommandLineRequest.Crds(output));

    [Theory]
    [InlineData(new[] { "--help" }, new[] { "run", "crds", "local" })]
    [InlineData(new[] { "help" }, new[] { "run", "crds", "local" })]
    [InlineData(new[] { "run", "--help" }, new[] { "--namespace", "--workers", "--leader-election-name", "--leader-election-namespace", "--leader-elect", "--lease-duration", "--renew-deadline", "--retry-period", "--port-range", "--http-port", "--http-address", "--shutdown-timeout", "--informer-unhealthy-after", "--kubeconfig" })]
    [InlineData(new[] { "help", "run" }, new[] { "--workers", "GRIDGAME_WORKERS" })]
    [InlineData(new[] { "run", "-h" }, new[] { "--workers" })]
    [InlineData(new[] { "crds", "--help" }, new[] { "--out" })]
    [InlineData(new[] { "local", "--help" }, new[] { "--kubeconfig", "--api-port", "--lobby-port", "--kubelet", "--nodes", "--api-only", "--no-sample", "--gameserver" })]
    public void Help_lists_every_command_or_flag_with_a_description(string[] args, string[] names)
    {
        var help = Parse(args).Should().BeOfType<CommandLineRequest.Help>().Subject.Text;

        foreach (var name in names)
        {
            // On a line with a description beside it.
            help.Split('\n').Should().Contain(line => line.Contains(name, StringComparison.Ordinal) && line.Trim().Length > name.Length + 20, $"{name} is described in:\n{help}");
        }
    }

    [Fact]
    public void Version_prints_the_version() =>
        Parse(["--version"]).Should().BeOfType<CommandLineRequest.Help>().Subject.Text.Should().MatchRegex(@"^\d+\.\d+");

    [Fact]
    public void Help_of_a_command_describes_the_command() =>
        Parse(["local", "--help"]).Should().BeOfType<CommandLineRequest.Help>().Subject.Text.Should().Contain("lobby page");
}
