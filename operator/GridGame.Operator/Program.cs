using GridGame.Operator.Cli;

// gridgame-operator [run] [flags] | crds [--out DIR] | local [flags]; `--help` after any of them lists its flags.
// Parsing is OperatorCommandLine's; each command lives in its own file under Cli/.
var request = OperatorCommandLine.Parse(args, Environment.GetEnvironmentVariable);

// Not disposed: ProcessExit may still fire after Main returns.
var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

switch (request)
{
    case CommandLineRequest.Help help:
        Console.Out.Write(help.Text);
        return 0;
    case CommandLineRequest.Invalid invalid:
        foreach (var error in invalid.Errors)
        {
            Console.Error.WriteLine($"{invalid.Command}: {error}");
        }

        Console.Error.WriteLine($"Run '{invalid.Command} --help' for its flags.");
        return 2;
    case CommandLineRequest.Run run:
        return await RunCommand.ExecuteAsync(run.Options, stop.Token);
    case CommandLineRequest.Crds crds:
        return await CrdsCommand.ExecuteAsync(crds.Output, stop.Token);
    case CommandLineRequest.Local local:
        return await LocalCommand.ExecuteAsync(local.Options, stop.Token);
    default:
        throw new InvalidOperationException($"unhandled request {request}");
}
