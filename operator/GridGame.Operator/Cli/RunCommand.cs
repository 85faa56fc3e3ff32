namespace GridGame.Operator.Cli;

/// <summary>The `run` command.</summary>
internal static class RunCommand
{
    public static Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("gridgame-operator run: not built yet");
        return Task.FromResult(1);
    }
}
