using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Kubelets;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Tests.Units;

/// <summary>The exec options as the API server and kubelet read them, the protocol negotiation, and the status on the error channel.</summary>
public sealed class ExecProtocolTests
{
    private static IQueryCollection Query(string query) => new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query));

    [Fact]
    public void Options_are_read_from_kubectls_query()
    {
        var (options, error) = ExecOptions.Parse(Query("?command=sh&command=-c&command=echo%20hi&container=c&stdin=false&stdout=true&stderr=true&tty=false"));

        error.Should().BeNull();
        options.Should().BeEquivalentTo(new ExecOptions(["sh", "-c", "echo hi"], "c", Stdin: false, Stdout: true, Stderr: true, Tty: false));
    }

    [Theory]
    [InlineData("?command=a&stdin=1&stdout=0&stderr=1&tty=0", true, false, true, false)] // KubernetesClient
    [InlineData("?command=a&stdin=T&stdout=FALSE&stderr=t&tty=True", true, false, true, true)]
    [InlineData("?command=a&stdout=true", false, true, false, false)]
    public void Booleans_are_read_as_Go_reads_them(string query, bool stdin, bool stdout, bool stderr, bool tty)
    {
        var options = ExecOptions.Parse(Query(query)).Options!;

        (options.Stdin, options.Stdout, options.Stderr, options.Tty).Should().Be((stdin, stdout, stderr, tty));
    }

    [Fact]
    public void A_boolean_that_is_not_one_is_a_decoding_error()
    {
        ExecOptions.Parse(Query("?command=a&stdin=yes")).Should().Be(((ExecOptions?)null, (string?)"Unable to decode query: stdin: invalid boolean \"yes\""));
    }

    [Theory]
    [InlineData("?stdout=1", "you must specify at least one command for the container")]
    [InlineData("?command=a", "you must specify at least 1 of stdin, stdout, stderr")]
    [InlineData("?command=a&stdin=1", null)]
    [InlineData("?command=a&stderr=1", null)]
    public void Validation_wants_a_command_and_a_stream(string query, string? expected)
    {
        ExecOptions.Parse(Query(query)).Options!.Validate().Should().Be(expected);
    }

    [Theory]
    [InlineData(false, true, true, ExecProtocol.Stderr)]
    [InlineData(false, true, false, null)]
    [InlineData(true, true, false, ExecProtocol.Stdout)] // a terminal carries stderr on stdout; kubectl -t asks for no stderr
    [InlineData(true, true, true, ExecProtocol.Stdout)]
    [InlineData(true, false, false, null)]
    public void Stderr_goes_to_its_channel_or_with_a_tty_to_stdout(bool tty, bool stdout, bool stderr, byte? expected)
    {
        new ExecOptions(["a"], null, false, stdout, stderr, tty).StderrChannel.Should().Be(expected);
    }

    [Fact]
    public void The_kubelet_query_carries_the_argv_escaped_and_the_streams()
    {
        new ExecOptions(["sh", "-c", "echo a&b=c"], "c", true, true, false, false).KubeletQuery()
            .Should().Be("command=sh&command=-c&command=echo%20a%26b%3Dc&stdin=1&stdout=1&stderr=0&tty=0");
    }

    [Theory]
    [InlineData(new[] { "v5.channel.k8s.io" }, "v5.channel.k8s.io")] // kubectl 1.30+
    [InlineData(new[] { "v4.channel.k8s.io" }, "v4.channel.k8s.io")] // KubernetesClient
    [InlineData(new[] { "v4.channel.k8s.io, v5.channel.k8s.io" }, "v4.channel.k8s.io")] // the client's order decides
    [InlineData(new[] { "base64.channel.k8s.io", "v5.channel.k8s.io" }, "v5.channel.k8s.io")]
    [InlineData(new[] { "channel.k8s.io" }, null)] // v1: plain-text errors, no exit code
    [InlineData(new string[0], null)]
    public void Negotiation_picks_the_first_served_protocol_the_client_offers(string[] offered, string? expected)
    {
        ExecProtocol.Negotiate(offered).Should().Be(expected);
    }

    [Fact]
    public void Exit_0_is_a_Success_status()
    {
        Encoding.UTF8.GetString(ExecProtocol.ExitStatus(["true"], 0)).Should().Be("""{"metadata":{},"status":"Success"}""");
    }

    [Fact]
    public void A_non_zero_exit_is_a_NonZeroExitCode_status_whose_ExitCode_cause_kubectl_exits_with()
    {
        var status = JsonNode.Parse(ExecProtocol.ExitStatus(["sh", "-c", "exit 3"], 3))!;

        ((string?)status["status"]).Should().Be("Failure");
        ((string?)status["reason"]).Should().Be("NonZeroExitCode");
        ((string?)status["message"]).Should().Be("command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3");
        status["details"]!["causes"]!.ToJsonString().Should().Be("""[{"reason":"ExitCode","message":"3"}]""");
    }

    [Fact]
    public void A_command_that_cannot_start_is_an_InternalError_status()
    {
        var status = JsonNode.Parse(ExecProtocol.InternalError("no setsid"))!;

        ((string?)status["reason"], (int?)status["code"], (string?)status["message"])
            .Should().Be(("InternalError", 500, "Internal error occurred: error executing command in container: no setsid"));
    }

    [Theory]
    [InlineData("""{"Width":120,"Height":40}""", 120, 40)]
    [InlineData("""{"Height":1,"Width":65535}""", 65535, 1)]
    public void A_resize_message_is_kubectls_terminal_size(string json, int width, int height)
    {
        ExecProtocol.ParseResize(Encoding.UTF8.GetBytes(json)).Should().Be(((ushort)width, (ushort)height));
    }

    [Theory]
    [InlineData("""{"Width":120}""")]
    [InlineData("""{"width":120,"height":40}""")]
    [InlineData("""{"Width":-1,"Height":40}""")]
    [InlineData("""{"Width":70000,"Height":40}""")]
    [InlineData("""[120,40]""")]
    [InlineData("not json")]
    public void Anything_else_on_the_resize_channel_is_no_size(string json)
    {
        ExecProtocol.ParseResize(Encoding.UTF8.GetBytes(json)).Should().BeNull();
    }

    [Fact]
    public void A_tty_command_runs_under_script_quoted_word_for_word()
    {
        ExecTerminal.Wrap(["sh", "-c", "echo it's $HOME; exit 3"]).Should().Equal(
            "script", "--quiet", "--return", "--echo", "always", "--command", """exec 'sh' '-c' 'echo it'\''s $HOME; exit 3'""", "/dev/null");
    }
}
