using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Storage;

/// <summary>Turns a CustomResourceDefinition into the resource types it serves, one per served version.</summary>
internal static class CustomResourceTypes
{
    public static IEnumerable<ResourceType> FromCrd(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = (string?)spec?["group"];
        var plural = (string?)names?["plural"];
        var kind = (string?)names?["kind"];
        if (spec is null || names is null || group is null || plural is null || kind is null || spec["versions"] is not JsonArray versions)
        {
            yield break;
        }
        var namespaced = (string?)spec["scope"] != "Cluster";
        foreach (var v in versions.OfType<JsonObject>())
        {
            if (v["served"] is JsonValue served && served.TryGetValue<bool>(out var isServed) && !isServed)
            {
                continue;
            }
            var name = (string?)v["name"];
            if (name is null)
            {
                continue;
            }
            var subresources = v["subresources"] as JsonObject;
            var scale = subresources?["scale"] as JsonObject;
            yield return new ResourceType
            {
                Group = group,
                Version = name,
                Kind = kind,
                Plural = plural,
                CustomListKind = (string?)names["listKind"],
                Namespaced = namespaced,
                ShortNames = Strings(names["shortNames"]),
                Categories = Strings(names["categories"]),
                HasStatus = subresources?["status"] is not null,
                Scale = scale is null ? null : new ScalePaths(
                    (string?)scale["specReplicasPath"] ?? ".spec.replicas",
                    (string?)scale["statusReplicasPath"] ?? ".status.replicas",
                    (string?)scale["labelSelectorPath"]),
                IsCustom = true,
                Schema = (v["schema"] as JsonObject)?["openAPIV3Schema"] as JsonObject,
                PrinterColumns = Columns(v["additionalPrinterColumns"] as JsonArray),
                SelectableFields = (v["selectableFields"] as JsonArray)?.OfType<JsonObject>()
                    .Select(f => ((string?)f["jsonPath"] ?? "").TrimStart('.')).Where(p => p.Length > 0).ToList() ?? [],
                AllowUnconditionalUpdate = false,
                HasGeneration = true,
            };
        }
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(x => (string?)x).OfType<string>().ToList() : [];

    private static List<PrinterColumn> Columns(JsonArray? columns) =>
        columns?.OfType<JsonObject>().Select(c => new PrinterColumn(
            (string?)c["name"] ?? "",
            (string?)c["type"] ?? "string",
            (string?)c["jsonPath"] ?? "",
            (string?)c["format"] ?? "",
            (string?)c["description"] ?? "",
            (int)(JsonNumber.Long(c["priority"]) ?? 0))).ToList() ?? [];
}
