using System.Text.Json.Nodes;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>YAML read as JSON, plain scalars typed by the YAML 1.2 core schema (as kubectl reads them).</summary>
internal static class Yaml
{
    public static JsonNode? ReadFile(string relative) => Documents(File.ReadAllText(Path.Combine(Built.Root, relative))).Single();

    public static IReadOnlyList<JsonNode?> Documents(string text) => YamlJson.Documents(text);
}
