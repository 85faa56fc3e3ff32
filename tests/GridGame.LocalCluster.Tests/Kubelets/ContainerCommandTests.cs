using GridGame.LocalCluster.Kubelets;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class ContainerCommandTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Images = new()
    {
        ["*gridgame-gameserver*"] = ["dotnet", "/opt/GridGame.GameServer.dll"],
    };

    private static readonly Dictionary<string, string> Env = new() { ["POD"] = "p-1", ["PORT"] = "7001" };

    [Fact]
    public void A_command_with_args_runs_as_given_with_variables_expanded()
    {
        var c = new V1Container { Name = "c", Image = "busybox", Command = ["python3", "-m", "http.server"], Args = ["$(PORT)", "--name=$(POD)"] };
        ContainerCommand.Resolve(c, Images, Env).Argv.Should().Equal("python3", "-m", "http.server", "7001", "--name=p-1");
    }

    [Fact]
    public void An_image_without_a_command_maps_through_the_table_and_keeps_its_args()
    {
        var c = new V1Container { Name = "c", Image = "ghcr.io/owner/gridgame-gameserver:1.0.0", Args = ["--verbose"] };
        ContainerCommand.Resolve(c, Images, Env).Argv.Should().Equal("dotnet", "/opt/GridGame.GameServer.dll", "--verbose");
    }

    [Fact]
    public void An_unmapped_image_is_an_error_that_says_how_to_fix_it()
    {
        var c = new V1Container { Name = "c", Image = "nginx:1.27" };
        var (argv, error) = ContainerCommand.Resolve(c, Images, Env);
        argv.Should().BeNull();
        error.Should().Contain("nginx:1.27").And.Contain("LocalNodesOptions.Images");
    }

    [Theory]
    [InlineData("$(POD)", "p-1")]
    [InlineData("$$(POD)", "$(POD)")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("a$b", "a$b")]
    [InlineData("x-$(PORT)-$(POD)", "x-7001-p-1")]
    [InlineData("$(unclosed", "$(unclosed")]
    public void Variable_references_expand_like_kubernetes(string input, string expected) =>
        ContainerCommand.Expand(input, Env).Should().Be(expected);
}
