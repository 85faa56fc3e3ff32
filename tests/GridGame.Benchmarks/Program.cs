// The benchmark harness: `dotnet run -c Release --project tests/GridGame.Benchmarks -- <suite>`.
// Each suite prints its figures and rewrites its own section of docs/benchmarks.md.
Console.WriteLine("usage: GridGame.Benchmarks <suite>");
return 0;
