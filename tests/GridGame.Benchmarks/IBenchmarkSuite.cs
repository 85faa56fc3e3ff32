namespace GridGame.Benchmarks;

/// <summary>One benchmark suite; found by reflection, run by name.</summary>
internal interface IBenchmarkSuite
{
    /// <summary>Short name used on the command line and as the section key in docs/benchmarks.md.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>The command that runs this suite, with its optional arguments, as docs/benchmarks.md shows it.</summary>
    string Command { get; }

    /// <summary>Whether this run's figures replace the suite's section of docs/benchmarks.md (a diagnostic run's do not).</summary>
    bool Records => true;

    /// <summary>Whether <c>all</c> runs it (not the soak, which runs for half an hour).</summary>
    bool InAll => true;

    /// <summary>After <see cref="RunAsync"/>: non-zero when the run failed a check it makes (the soak's), so the program exits with it.</summary>
    int ExitCode => 0;

    /// <summary>
    /// Runs the suite and returns its figures as Markdown: tables, and at most a line or two on what a figure means.
    /// How a suite measures belongs in docs/contributing/testing.md, not in the figures.
    /// </summary>
    Task<string> RunAsync(string[] args, CancellationToken cancellationToken);
}
