using GridGame.Crds.Schema;

namespace GridGame.Operator.Cli;

/// <summary>
/// The `crds` command: renders the CRD manifests from the C# types into DIR, or to stdout with `--out -`.
/// Without --out it regenerates everything derived from the types in the repository: crds/*.yaml, the Kustomize
/// copy in config/crd/ and the field reference in docs/reference/api.md.
/// </summary>
internal static class CrdsCommand
{
    public static Task<int> ExecuteAsync(string? output, CancellationToken cancellationToken)
    {
        if (output == "-")
        {
            var documents = CrdGenerator.All().Select(c => CrdYaml.Render(c.Crd));
            Console.Out.Write(string.Join("---\n", documents));
            return Task.FromResult(0);
        }

        if (output is not null)
        {
            Report(CrdGenerator.WriteAll(output));
            return Task.FromResult(0);
        }

        var root = RepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("gridgame-operator crds: not inside the GridGame repository (no GridGame.sln above the current directory); pass --out DIR");
            return Task.FromResult(2);
        }

        Report(CrdGenerator.WriteAll(Path.Combine(root, "crds")));
        Report(CrdGenerator.WriteAll(Path.Combine(root, "config", "crd")));
        var api = Path.Combine(root, "docs", "reference", "api.md");
        if (File.Exists(api))
        {
            File.WriteAllText(api, ApiReference.Update(File.ReadAllText(api)));
            Report([api]);
        }

        return Task.FromResult(0);
    }

    private static void Report(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            Console.Out.WriteLine($"wrote {path}");
        }
    }

    /// <summary>The repository that contains the current directory.</summary>
    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridGame.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
