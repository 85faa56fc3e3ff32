using GridGame.Operator.Hosting;
using GridGame.Operator.Local;

namespace GridGame.Operator.Cli;

/// <summary>What a command line asks for, once parsed: a command with its options, help, or a usage error.</summary>
internal abstract record CommandLineRequest
{
    private CommandLineRequest()
    {
    }

    /// <summary><c>run</c>: the operator against a cluster.</summary>
    public sealed record Run(OperatorOptions Options) : CommandLineRequest;

    /// <summary><c>crds</c>: render the CRDs into <paramref name="Output"/> (a folder, or <c>-</c> for stdout), or into the repository when null.</summary>
    public sealed record Crds(string? Output) : CommandLineRequest;

    /// <summary><c>local</c>: the whole system on this machine.</summary>
    public sealed record Local(LocalModeOptions Options) : CommandLineRequest;

    /// <summary><c>--help</c> (or <c>help</c>) of a command, or <c>--version</c>: <paramref name="Text"/> goes to stdout.</summary>
    public sealed record Help(string Text) : CommandLineRequest;

    /// <summary>A usage error in <paramref name="Command"/>; every message names the flag or argument at fault.</summary>
    public sealed record Invalid(string Command, IReadOnlyList<string> Errors) : CommandLineRequest;
}
