using System.Globalization;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Patching;

/// <summary>Why a JSON patch could not be applied, worded like evanphx/json-patch (which the API server returns as 422).</summary>
internal sealed class JsonPatchException(string message) : Exception(message);

/// <summary>RFC 6902 JSON patch: add, remove, replace, move, copy, test. All or nothing.</summary>
internal static class JsonPatch
{
    /// <summary>
    /// Applies <paramref name="operations"/> to a copy of <paramref name="document"/> and returns it; with
    /// <paramref name="inPlace"/> the document itself is changed, for a caller that owns a private copy already and
    /// drops it when a patch fails (a failed patch may leave it half-changed).
    /// </summary>
    public static JsonNode Apply(JsonNode document, JsonArray operations, bool inPlace = false)
    {
        var doc = inPlace ? document : document.DeepClone();
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op)
            {
                throw new FormatException("json: cannot unmarshal into Go value of type jsonpatch.Operation");
            }
            var kind = (string?)op["op"] ?? throw new JsonPatchException("Unexpected kind: unknown");
            var path = (string?)op["path"] ?? throw new JsonPatchException($"operation missing path: {kind}");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, RequireValue(op, kind).DeepClone(), kind);
                    break;
                case "remove":
                    Remove(doc, path, kind);
                    break;
                case "replace":
                    doc = Replace(doc, path, RequireValue(op, kind).DeepClone());
                    break;
                case "move":
                {
                    var from = (string?)op["from"] ?? throw new JsonPatchException("move operation missing from");
                    var value = Get(doc, from) ?? throw new JsonPatchException($"move operation does not apply: doc is missing from path: {from}");
                    Remove(doc, from, "move");
                    doc = Add(doc, path, value, "move");
                    break;
                }
                case "copy":
                {
                    var from = (string?)op["from"] ?? throw new JsonPatchException("copy operation missing from");
                    var value = Get(doc, from) ?? throw new JsonPatchException($"copy operation does not apply: doc is missing from path: {from}");
                    doc = Add(doc, path, value.DeepClone(), "copy");
                    break;
                }
                case "test":
                {
                    var expected = op.TryGetPropertyValue("value", out var v) ? v : null;
                    var exists = TryGet(doc, path, out var actual);
                    if (!exists && expected is not null)
                    {
                        throw new JsonPatchException($"testing value {path} failed: test failed");
                    }
                    if (!JsonNode.DeepEquals(actual, expected))
                    {
                        throw new JsonPatchException($"testing value {path} failed: test failed");
                    }
                    break;
                }
                default:
                    throw new JsonPatchException($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static JsonNode RequireValue(JsonObject op, string kind) =>
        op.TryGetPropertyValue("value", out var v) && v is not null ? v : throw new JsonPatchException($"{kind} operation does not apply: value is missing");

    private static List<string> Parse(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }
        if (path[0] != '/')
        {
            throw new JsonPatchException($"add operation does not apply: doc is missing path: \"{path}\"");
        }
        return path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static bool TryGet(JsonNode doc, string path, out JsonNode? value)
    {
        JsonNode? node = doc;
        foreach (var segment in Parse(path))
        {
            switch (node)
            {
                case JsonObject o when o.TryGetPropertyValue(segment, out var child):
                    node = child;
                    break;
                case JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < a.Count:
                    node = a[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }
        value = node;
        return true;
    }

    private static JsonNode? Get(JsonNode doc, string path) => TryGet(doc, path, out var v) ? v : null;

    private static (JsonNode Parent, string Last) Parent(JsonNode doc, string path, string kind)
    {
        var segments = Parse(path);
        if (segments.Count == 0)
        {
            throw new JsonPatchException($"{kind} operation does not apply: doc is missing path: \"{path}\"");
        }
        var parentPath = "/" + string.Join('/', segments.Take(segments.Count - 1).Select(s => s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        if (!TryGet(doc, segments.Count == 1 ? "" : parentPath, out var parent) || parent is not (JsonObject or JsonArray))
        {
            throw new JsonPatchException($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value");
        }
        return (parent, segments[^1]);
    }

    private static JsonNode Add(JsonNode doc, string path, JsonNode value, string kind)
    {
        if (path.Length == 0)
        {
            return value;
        }
        var (parent, last) = Parent(doc, path, kind);
        if (parent is JsonObject o)
        {
            o[last] = value;
        }
        else
        {
            var a = (JsonArray)parent;
            if (last == "-")
            {
                a.Add(value);
            }
            else if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= a.Count)
            {
                a.Insert(index, value);
            }
            else
            {
                throw new JsonPatchException($"{kind} operation does not apply: doc is missing path: \"{path}\": Unable to access invalid index: {last}");
            }
        }
        return doc;
    }

    private static void Remove(JsonNode doc, string path, string kind)
    {
        var (parent, last) = Parent(doc, path, kind);
        if (parent is JsonObject o)
        {
            if (!o.Remove(last))
            {
                throw new JsonPatchException($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value");
            }
        }
        else
        {
            var a = (JsonArray)parent;
            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= a.Count)
            {
                throw new JsonPatchException($"{kind} operation does not apply: doc is missing path: \"{path}\": Unable to access invalid index: {last}");
            }
            a.RemoveAt(index);
        }
    }

    private static JsonNode Replace(JsonNode doc, string path, JsonNode value)
    {
        if (path.Length == 0)
        {
            return value;
        }
        var (parent, last) = Parent(doc, path, "replace");
        if (parent is JsonObject o)
        {
            if (!o.ContainsKey(last))
            {
                throw new JsonPatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
            }
            o[last] = value;
        }
        else
        {
            var a = (JsonArray)parent;
            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= a.Count)
            {
                throw new JsonPatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
            }
            a[index] = value;
        }
        return doc;
    }
}
