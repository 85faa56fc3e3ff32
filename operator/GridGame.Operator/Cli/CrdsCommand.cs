using GridGame.Crds.Schema;

namespace GridGame.Operator.Cli;

/// <summary>
/// The `crds` command: renders the CRD manifests from the C# types into DIR (default: the repository's crds/),
/// or to stdout with `--out -`.
/// </summary>
internal static class CrdsCommand
{
    public static Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" or "-o" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case var arg when arg.StartsWith("--out=", StringComparison.Ordinal):
                    output = arg["--out=".Length..];
                    break;
                case "-h" or "--help":
                    Console.Out.WriteLine("usage: gridgame-operator crds [--out DIR|-]   (default DIR: the repository's crds/)");
                    return Task.FromResult(0);
                default:
                    Console.Error.WriteLine($"gridgame-operator crds: unknown argument '{args[i]}' (usage: crds [--out DIR|-])");
                    return Task.FromResult(2);
            }
        }

        if (output == "-")
        {
            var documents = CrdGenerator.All().Select(c => CrdYaml.Render(c.Crd));
            Console.Out.Write(string.Join("---\n", documents));
            return Task.FromResult(0);
        }

        output ??= DefaultDirectory();
        if (output is null)
        {
            Console.Error.WriteLine("gridgame-operator crds: not inside the GridGame repository (no GridGame.sln above the current directory); pass --out DIR");
            return Task.FromResult(2);
        }

        foreach (var path in CrdGenerator.WriteAll(output))
        {
            Console.Out.WriteLine($"wrote {path}");
        }

        return Task.FromResult(0);
    }

    /// <summary>The crds/ directory of the repository that contains the current directory.</summary>
    private static string? DefaultDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridGame.sln")))
            {
                return Path.Combine(dir.FullName, "crds");
            }
        }

        return null;
    }
}
