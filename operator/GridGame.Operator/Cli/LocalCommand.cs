namespace GridGame.Operator.Cli;

/// <summary>The `local` command.</summary>
internal static class LocalCommand
{
    public static Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("gridgame-operator local: not built yet");
        return Task.FromResult(1);
    }
}
