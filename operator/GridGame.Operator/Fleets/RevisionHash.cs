using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.Crds;
using k8s;

namespace GridGame.Operator.Fleets;

/// <summary>
/// The `gridgame.io/revision` label: a hash of everything in the fleet spec that shapes a pod (template, game,
/// ports). Computed over canonical JSON (object keys sorted, nulls dropped), so it does not change with key order
/// or with a client that omits empty fields.
/// </summary>
internal static class RevisionHash
{
    public static string Of(GameFleetSpec spec)
    {
        var shape = new JsonObject
        {
            ["template"] = JsonNode.Parse(KubernetesJson.Serialize(spec.Template)),
            ["game"] = spec.Game is null ? null : JsonNode.Parse(KubernetesJson.Serialize(spec.Game)),
            ["ports"] = spec.Ports is null ? null : JsonNode.Parse(KubernetesJson.Serialize(spec.Ports)),
        };
        var canonical = Canonical(shape)?.ToJsonString() ?? "null";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return Convert.ToHexStringLower(hash)[..10];
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Canonical).ToArray()),
        JsonValue value => JsonNode.Parse(value.ToJsonString()),
        _ => null,
    };
}
