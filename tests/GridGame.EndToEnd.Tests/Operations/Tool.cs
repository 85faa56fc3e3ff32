using System.Diagnostics;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>A command-line tool the operations tests run for real (promtool, lua, kubectl, pg_dump); missing is a failure.</summary>
internal static class Tool
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Built.Root,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{file} is not installed ({e.Message}): run scripts/install-deps.sh", e);
        }

        using var _ = process;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Runs the tool and fails with its output unless it exits 0.</summary>
    public static async Task<string> SucceedsAsync(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var list = args.ToList();
        var (exitCode, output) = await RunAsync(file, list, workingDirectory, environment);
        exitCode.Should().Be(0, $"{file} {string.Join(' ', list)} should succeed; it said:\n{output}");
        return output;
    }
}
