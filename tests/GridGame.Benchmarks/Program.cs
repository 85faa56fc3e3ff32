using GridGame.Benchmarks;

// The benchmark harness: `dotnet run -c Release --project tests/GridGame.Benchmarks -- <suite|all>`.
// Each suite prints its figures and rewrites its own section of docs/benchmarks.md (with the command, date and machine).
var suites = typeof(IBenchmarkSuite).Assembly.GetTypes()
    .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

// Hidden mode: the game server (with the echo hub) in a process of its own, driven by the gameserver suite.
if (args is ["serve-gameserver", ..])
{
    return await GameServerBenchmark.ServeAsync(args[1..]);
}

if (args.Length == 0)
{
    Console.WriteLine("usage: GridGame.Benchmarks <suite|all> [suite args]");
    foreach (var s in suites)
    {
        Console.WriteLine($"  {s.Name,-16} {s.Description}");
    }
    return 2;
}

var chosen = args[0] == "all" ? suites.Where(s => s.InAll).ToList() : suites.Where(s => s.Name == args[0]).ToList();
if (chosen.Count == 0)
{
    Console.Error.WriteLine($"no benchmark suite named '{args[0]}'");
    return 2;
}

var exitCode = 0;
foreach (var suite in chosen)
{
    Console.WriteLine($"== {suite.Name}: {suite.Description}");
    var report = await suite.RunAsync(args[1..], CancellationToken.None);
    Console.WriteLine(report);
    if (suite.Records)
    {
        BenchmarkReport.WriteSection(suite, args[1..], report);
    }
    exitCode = Math.Max(exitCode, suite.ExitCode);
}
return exitCode;
