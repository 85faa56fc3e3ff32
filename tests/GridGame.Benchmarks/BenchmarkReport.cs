using System.Globalization;
using System.Text;

namespace GridGame.Benchmarks;

/// <summary>
/// Rewrites one suite's section of docs/benchmarks.md — its figures under a line giving the command, the date and the
/// machine — leaving the other suites' sections and the hand-written text around them alone.
/// </summary>
internal static class BenchmarkReport
{
    public static void WriteSection(IBenchmarkSuite suite, IReadOnlyList<string> arguments, string figures)
    {
        var path = Path.Combine(FindRepoRoot(), "docs", "benchmarks.md");
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        var begin = $"<!-- begin {suite.Name} -->";
        var end = $"<!-- end {suite.Name} -->";
        var section = new StringBuilder()
            .Append(begin).Append('\n')
            .Append("### ").Append(suite.Name).Append('\n').Append('\n')
            .Append(Header(suite.Command, arguments, DateTime.UtcNow, Machine(), LoadAverage())).Append('\n').Append('\n')
            .Append(figures.Trim()).Append('\n')
            .Append(end).ToString();
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        text = start >= 0 && stop > start
            ? string.Concat(text.AsSpan(0, start), section, text.AsSpan(stop + end.Length))
            : text.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, text);
    }

    /// <summary>The line above a suite's figures: what ran, when, and on what, since figures mean little without them.</summary>
    public static string Header(string command, IReadOnlyList<string> arguments, DateTime utc, string machine, string loadAverage) =>
        string.Create(CultureInfo.InvariantCulture,
            $"`{command}`{(arguments.Count > 0 ? $" (run with `{string.Join(' ', arguments)}`)" : "")} · {utc:yyyy-MM-dd HH:mm} UTC · {machine}, load average {loadAverage} at the end");

    /// <summary>Cores and CPU model, e.g. "2 cores, Intel(R) Xeon(R) Processor @ 2.80GHz".</summary>
    public static string Machine()
    {
        var model = "";
        try
        {
            model = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim() ?? "";
        }
        catch (IOException)
        {
        }
        var cores = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores");
        return model.Length > 0 ? $"{cores}, {model}" : cores;
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
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
