using System.Diagnostics;

namespace GridGame.Operator.Local;

/// <summary>
/// Finds the program that stands in for the <c>gridgame-gameserver</c> image when pods run as local processes:
/// an explicit path, else the game server built in this repository (building it once if it is not).
/// </summary>
internal static class GameServerLocator
{
    private const string Project = "gameserver/GridGame.GameServer/GridGame.GameServer.csproj";
    private const string Assembly = "GridGame.GameServer.dll";

    /// <summary>The argv that runs the game server.</summary>
    public static async Task<IReadOnlyList<string>> LocateAsync(string? explicitPath, TextWriter log, CancellationToken cancellationToken)
    {
        if (explicitPath is not null)
        {
            var full = Path.GetFullPath(explicitPath);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"--gameserver {explicitPath}: no such file");
            }

            return Command(full);
        }

        var root = FindRepositoryRoot()
            ?? throw new InvalidOperationException("cannot find the game server: run from a GridGame checkout, or pass --gameserver PATH (or set GRIDGAME_GAMESERVER)");
        var built = Built(root);
        if (built is not null)
        {
            return Command(built);
        }

        await log.WriteLineAsync($"building the game server ({Project}) …").ConfigureAwait(false);
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(root, Project), "-c", "Release", "-nologo", "-v", "quiet"])
        {
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start dotnet build");
        await build.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return build.ExitCode == 0 && Built(root) is { } fresh
            ? Command(fresh)
            : throw new InvalidOperationException($"dotnet build {Project} failed (exit {build.ExitCode})");
    }

    internal static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GridGame.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    // The newest build wins, so a Debug build made after a Release one is the one that runs.
    private static readonly string[] Configurations = ["Release", "Debug"];

    private static string? Built(string root) =>
        Configurations
            .Select(c => Path.Combine(root, "gameserver", "GridGame.GameServer", "bin", c, "net10.0", Assembly))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();

    private static string[] Command(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", path] : [path];
}
