using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Patching;

/// <summary>Applies a patch document of any supported type to a stored object, returning the patched JSON.</summary>
internal static class PatchDocument
{
    public static JsonObject Apply(ResourceType type, StoredObject current, string contentType, JsonNode? patch, string? fieldManager)
    {
        var target = type.Conversion is null ? current.Clone() : type.View(current);
        target["apiVersion"] = type.ApiVersion;
        try
        {
            var patched = contentType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(target, patch as JsonArray ?? throw ApiException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch"), inPlace: true),
                "application/merge-patch+json" => JsonMergePatch.Apply(target, patch as JsonObject ?? throw ApiException.BadRequest("merge patch must be a JSON object")),
                "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(target, patch as JsonObject ?? throw ApiException.BadRequest("strategic merge patch must be a JSON object")),
                _ => ApplyPatch.Apply(target, patch as JsonObject ?? throw ApiException.BadRequest("apply patch must be an object"), fieldManager),
            };
            return patched as JsonObject ?? throw ApiException.BadRequest("the patched object is not a JSON object");
        }
        catch (JsonPatchException e)
        {
            throw new ApiException(422, "Invalid", e.Message);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }
}
