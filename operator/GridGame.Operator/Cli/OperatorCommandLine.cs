using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace GridGame.Operator.Cli;

/// <summary>
/// The command line of <c>gridgame-operator</c>: <c>run</c> (the default), <c>crds</c> and <c>local</c>, parsed with
/// System.CommandLine into a <see cref="CommandLineRequest"/>. Parsing does no I/O, so it is tested as a table; the
/// commands under <c>Cli/</c> carry the requests out.
/// </summary>
internal static class OperatorCommandLine
{
    public const string Name = "gridgame-operator";

    /// <summary>Parses <paramref name="args"/>; <paramref name="environment"/> supplies the variables that stand in for absent flags.</summary>
    public static CommandLineRequest Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var run = new RunFlags();
        var local = new LocalFlags();
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Write the two CRDs into this folder, or to stdout with '-' [default: regenerate crds/, config/crd/ and docs/api.md of the repository]",
            HelpName = "DIR|-",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result => result.Tokens[^1].Value,
        };

        var runCommand = new Command("run", "Run the operator against $KUBECONFIG (or --kubeconfig), else in-cluster (the default command)");
        run.AddTo(runCommand);
        var crdsCommand = new Command("crds", "Render the GameFleet and GameSession CRD manifests from the C# types") { output };
        var localCommand = new Command("local", "Run LocalCluster, a kubelet, the operator, the sample fleet and a lobby page on this machine");
        local.AddTo(localCommand);
        var root = new RootCommand("GridGame's Kubernetes operator") { runCommand, crdsCommand, localCommand };

        var result = root.Parse(WithDefaultCommand(args));
        var command = result.CommandResult.Command;
        // --help and --version are the parse's own actions; the commands carry none (Program dispatches the request).
        if (result.Action is HelpAction || (result.Errors.Count == 0 && result.Action is not null))
        {
            using var text = new StringWriter();
            result.Invoke(new InvocationConfiguration { Output = text });
            return new CommandLineRequest.Help(text.ToString());
        }

        var commandName = command == root ? Name : $"{Name} {command.Name}";
        if (result.Errors.Count > 0)
        {
            return new CommandLineRequest.Invalid(commandName, Describe(result));
        }

        try
        {
            return command == runCommand ? new CommandLineRequest.Run(run.Bind(result, environment))
                : command == crdsCommand ? new CommandLineRequest.Crds(result.GetValue(output))
                : command == localCommand ? new CommandLineRequest.Local(local.Bind(result, environment))
                : new CommandLineRequest.Invalid(commandName, ["a command is required: run, crds or local"]);
        }
        catch (FormatException ex)
        {
            return new CommandLineRequest.Invalid(commandName, [ex.Message]);
        }
    }

    /// <summary><c>run</c> is the default: a command line that starts with a flag (or is empty) is run's; <c>help</c> is <c>--help</c>.</summary>
    private static string[] WithDefaultCommand(IReadOnlyList<string> args) => args.ToArray() switch
    {
        [] => ["run"],
        ["help", .. var rest] => [.. rest, "--help"],
        [var first, ..] when first.StartsWith('-') && first is not ("--help" or "-h" or "-?" or "--version") => ["run", .. args],
        var all => all,
    };

    /// <summary>
    /// The errors in words that name the flag: an unknown token as <c>unknown option '--x'</c>, a flag without its value
    /// as <c>--x needs a value</c>; a bad value's message already starts with its flag (see <see cref="FlagValues"/>).
    /// </summary>
    private static List<string> Describe(ParseResult result)
    {
        var messages = new List<string>();
        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case CommandResult when result.UnmatchedTokens.Count > 0:
                    // One message per unknown token follows; System.CommandLine's own say "command or argument".
                    break;
                case OptionResult { Tokens.Count: 0 } option:
                    messages.Add($"{option.Option.Name} needs a value");
                    break;
                default:
                    messages.Add(error.Message);
                    break;
            }
        }

        messages.AddRange(result.UnmatchedTokens.Select(token => token.StartsWith('-') ? $"unknown option '{token}'" : $"unexpected argument '{token}'"));
        return messages.Distinct(StringComparer.Ordinal).ToList();
    }
}
