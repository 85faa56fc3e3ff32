using GridGame.Operator.Cli;

// gridgame-operator [run] | crds [--out DIR] | local [...]  (docs/reference/configuration.md). Each command lives in its own file under Cli/.
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
// Not disposed: ProcessExit may still fire after Main returns.
var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return command switch
{
    "run" => await RunCommand.ExecuteAsync(rest, stop.Token),
    "crds" => await CrdsCommand.ExecuteAsync(rest, stop.Token),
    "local" => await LocalCommand.ExecuteAsync(rest, stop.Token),
    "help" or "--help" or "-h" => Usage(Console.Out, 0),
    _ => Usage(Console.Error, 2),
};

static int Usage(TextWriter to, int code)
{
    to.WriteLine("""
        usage: gridgame-operator [run] [--http-port N] ...   run the operator against $KUBECONFIG or in-cluster
               gridgame-operator crds [--out DIR]             render the CRD manifests from the C# types
               gridgame-operator local [--api-only] ...       LocalCluster + kubelet + operator + sample fleet + lobby
        """);
    return code;
}
