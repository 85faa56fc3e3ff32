using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>
/// Runs an Argo CD Lua health script of config/argocd/health with the real Lua interpreter, on an object given
/// as JSON: the object becomes the global <c>obj</c> (JSON null as nil, as Argo CD converts it) and the script's
/// returned table is printed as status and message.
/// </summary>
internal static class ArgoHealth
{
    public static async Task<(string Status, string Message)> EvaluateAsync(string script, JsonNode resource)
    {
        var work = Directory.CreateTempSubdirectory("gridgame-lua-");
        try
        {
            var harness = Path.Combine(work.FullName, "harness.lua");
            await File.WriteAllTextAsync(harness, $"""
                obj = {ToLua(resource)}
                local hs = dofile({Quote(Path.Combine(Built.Root, "config/argocd/health", script))})
                io.write(hs.status, "\n", hs.message or "")
                """);
            var output = await Tool.SucceedsAsync("lua5.4", [harness]);
            var lines = output.Split('\n', 2);
            return (lines[0], lines.Length > 1 ? lines[1] : "");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string ToLua(JsonNode? node) => node switch
    {
        null => "nil",
        JsonObject o => "{" + string.Join(", ", o.Where(p => p.Value is not null).Select(p => $"[{Quote(p.Key)}] = {ToLua(p.Value)}")) + "}",
        JsonArray a => "{" + string.Join(", ", a.Select(ToLua)) + "}",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
        JsonValue v => v.GetValue<double>().ToString(CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                _ when c < ' ' => $"\\{(int)c:D3}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }
}
