namespace GridGame.Benchmarks;

/// <summary>One benchmark suite; found by reflection, run by name.</summary>
internal interface IBenchmarkSuite
{
    /// <summary>Short name used on the command line and as the section key in docs/benchmarks.md.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Whether this run's figures replace the suite's section of docs/benchmarks.md (a diagnostic run's do not).</summary>
    bool Records => true;

    /// <summary>Runs the suite and returns its figures as Markdown (a table, and the command that measured them).</summary>
    Task<string> RunAsync(string[] args, CancellationToken cancellationToken);
}
