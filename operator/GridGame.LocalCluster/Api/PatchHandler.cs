using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Patching;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>PATCH: JSON, merge, strategic-merge and apply patches, on an object or its scale; an apply may create.</summary>
internal sealed class PatchHandler(ClusterStore store, ResourceOperations operations, TimeProvider time)
{
    public async Task PatchAsync(HttpContext context, ResourceType type, ApiPath api, bool dryRun)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var raw = await RequestReader.ReadBytesAsync(context).ConfigureAwait(false);
        var sub = api.Subresource;
        var name = api.Name!;
        if (contentType == "application/strategic-merge-patch+json" && type.IsCustom)
        {
            throw ApiException.UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        }
        if (contentType is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/apply-patch+yaml" or "application/apply-patch+cbor"))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        }
        JsonNode? patch;
        try
        {
            patch = contentType == "application/apply-patch+yaml" ? ApplyPatch.Parse(raw) : JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("error decoding patch: " + e.Message);
        }
        if (sub == "scale")
        {
            await ResponseWriter.WriteJsonAsync(context, ScaleSubresource.Patch(operations, type, api.Namespace, name, contentType, patch), 200).ConfigureAwait(false);
            return;
        }
        StoredObject result;
        var status = 200;
        lock (store.Gate)
        {
            var finished = operations.Run(dryRun, () => PatchLocked(context, type, api, contentType, patch));
            (result, status) = finished;
        }
        await ResponseWriter.WriteObjectAsync(context, type, time.GetUtcNow(), result, status).ConfigureAwait(false);
    }

    private (StoredObject Result, int Status) PatchLocked(HttpContext context, ResourceType type, ApiPath api, string contentType, JsonNode? patch)
    {
        var sub = api.Subresource;
        var name = api.Name!;
        StoredObject result;
        var status = 200;
        {
            var current = store.Get(type.StorageKey, api.Namespace ?? "", name);
            if (current is null)
            {
                if (contentType != "application/apply-patch+yaml" || sub is not null)
                {
                    throw ApiException.NotFound(type.Plural, type.Group, name);
                }
                var created = patch as JsonObject ?? throw ApiException.BadRequest("apply patch must be an object");
                ApplyPatch.RequireFieldManager(context.Request.Query["fieldManager"]);
                RequestReader.CheckKind(type, created);
                ObjectMeta.Meta(created)["name"] ??= name;
                result = operations.Create(type, api.Namespace, created, context.Request.Query["fieldValidation"]);
                status = 201;
            }
            else
            {
                var patched = PatchDocument.Apply(type, current, contentType, patch, context.Request.Query["fieldManager"]);
                result = operations.Update(type, api.Namespace, name, patched, sub, fromPatch: true, context.Request.Query["fieldValidation"]);
            }
        }
        return (result, status);
    }
}
