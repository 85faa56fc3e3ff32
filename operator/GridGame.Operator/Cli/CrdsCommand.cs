namespace GridGame.Operator.Cli;

/// <summary>The `crds` command.</summary>
internal static class CrdsCommand
{
    public static Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("gridgame-operator crds: not built yet");
        return Task.FromResult(1);
    }
}
