using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>The opaque <c>continue</c> token of a paged list: the list's resourceVersion and the last key returned.</summary>
internal static class ContinueToken
{
    public static string Encode(long rv, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = lastKey + "\u0000" })));

    public static (long Rv, string StartAfter) Decode(string token)
    {
        try
        {
            var node = JsonNode.Parse(Convert.FromBase64String(token));
            var start = ((string?)node?["start"] ?? "").TrimEnd('\u0000');
            return (JsonNumber.Long(node?["rv"]) ?? 0, start);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw ApiException.BadRequest("continue key is not valid: " + e.Message);
        }
    }
}
