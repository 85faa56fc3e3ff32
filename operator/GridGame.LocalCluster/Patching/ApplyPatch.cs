using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace GridGame.LocalCluster.Patching;

/// <summary>
/// Server-side apply, simplified: the applied configuration is merged into the live object (strategic merge for
/// built-in types, JSON merge for custom resources); an absent object is created. There is no field ownership:
/// no managedFields, no conflicts, and a field dropped from the configuration is not removed.
/// </summary>
internal static class ApplyPatch
{
    public static JsonNode? Parse(byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            return yaml.Documents.Count == 0 ? null : Convert(yaml.Documents[0].RootNode);
        }
    }

    public static void RequireFieldManager(string? fieldManager)
    {
        if (string.IsNullOrEmpty(fieldManager))
        {
            throw ApiException.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }
    }

    public static JsonObject Apply(JsonObject live, JsonObject config, string? fieldManager)
    {
        RequireFieldManager(fieldManager);
        var kindIsBuiltIn = ((string?)live["apiVersion"] ?? "").Split('/') is var parts && (parts.Length == 1 || parts[0].EndsWith(".k8s.io", StringComparison.Ordinal));
        return kindIsBuiltIn ? StrategicMergePatch.Apply(live, config) : (JsonObject)JsonMergePatch.Apply(live, config)!;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded)
        {
            return value;
        }
        return value switch
        {
            "null" or "~" or "" => null,
            "true" or "True" => true,
            "false" or "False" => false,
            _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
            _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => value,
        };
    }
}
