using System.Globalization;
using System.Text;

namespace GridGame.Benchmarks;

/// <summary>Rewrites one suite's section of docs/benchmarks.md, leaving the other suites' figures alone.</summary>
internal static class BenchmarkReport
{
    public static void WriteSection(string suite, string markdown)
    {
        var path = Path.Combine(FindRepoRoot(), "docs", "benchmarks.md");
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\nFigures written by `dotnet run -c Release --project tests/GridGame.Benchmarks -- <suite>`.\n";
        var begin = $"<!-- begin {suite} -->";
        var end = $"<!-- end {suite} -->";
        var section = new StringBuilder()
            .Append(begin).Append('\n')
            .Append("## ").Append(suite).Append('\n').Append('\n')
            .Append(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores.\n\n")
            .Append(markdown.TrimEnd()).Append('\n')
            .Append(end).ToString();
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        text = start >= 0 && stop > start
            ? string.Concat(text.AsSpan(0, start), section, text.AsSpan(stop + end.Length))
            : text.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, text);
    }

    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridGame.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("GridGame.sln not found above " + AppContext.BaseDirectory);
    }
}
