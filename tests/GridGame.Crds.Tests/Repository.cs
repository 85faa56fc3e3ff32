using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GridGame.Crds.Tests;

/// <summary>Files of the repository the tests run in, and YAML read as JSON.</summary>
internal static class Repository
{
    public static string Root => RepositoryRoot.Path;

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(Path(relative));

    /// <summary>A one-document YAML file as JSON, plain scalars typed by the YAML 1.2 core schema (as kubectl reads them).</summary>
    public static JsonNode? ReadYaml(string relative) => Yaml(Read(relative));

    public static JsonNode? Yaml(string text) => YamlDocuments(text).Single();

    /// <summary>Every document of a YAML stream as JSON.</summary>
    public static IReadOnlyList<JsonNode?> YamlDocuments(string text) => YamlJson.Documents(text);

    /// <summary>Runs a command with a bound; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' could not be started ({e.Message}). These tests use the real {file}: install it (e.g. `apt-get install kubernetes-client`, or kubectl from the Kubernetes apt repository) so that it is on PATH.", e);
        }

        using var _ = process;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 60s");
        }

        return (process.ExitCode, output.Result + error.Result);
    }
}
