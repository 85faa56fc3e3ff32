using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace GridGame.LocalCluster.Api;

/// <summary>Reads what a request carries: its body (JSON or protobuf), delete options, dryRun, and checks a body's kind.</summary>
internal static class RequestReader
{
    public static void CheckKind(ResourceType type, JsonObject body)
    {
        var kind = (string?)body["kind"];
        var apiVersion = (string?)body["apiVersion"];
        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized (must be of type {type.Kind}): kind {kind} does not match the expected kind {type.Kind}");
        }
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.ApiVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    public static bool DryRun(StringValues values)
    {
        foreach (var v in values)
        {
            if (v != "All")
            {
                throw ApiException.BadRequest($"dryRun: Unsupported value: \"{v}\": supported values: \"All\"");
            }
        }
        return values.Count > 0;
    }

    public static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? policy = query["propagationPolicy"];
        long? grace = long.TryParse(query["gracePeriodSeconds"], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var g) ? g : null;
        if (query["orphanDependents"] is { Count: > 0 } o)
        {
            policy ??= o[0] == "true" ? "Orphan" : "Background";
        }
        string? uid = null;
        string? rv = null;
        var dryRun = false;
        var raw = await ReadBytesAsync(context).ConfigureAwait(false);
        if (raw.Length > 0 && JsonNode.Parse(raw) is JsonObject body)
        {
            policy = (string?)body["propagationPolicy"] ?? policy;
            if (body["orphanDependents"] is JsonValue od && od.TryGetValue<bool>(out var orphan))
            {
                policy ??= orphan ? "Orphan" : "Background";
            }
            grace = JsonNumber.Long(body["gracePeriodSeconds"]) ?? grace;
            uid = (string?)body["preconditions"]?["uid"];
            rv = (string?)body["preconditions"]?["resourceVersion"];
            if (body["dryRun"] is JsonArray dry)
            {
                dryRun = DryRun(new StringValues(dry.Select(d => (string?)d).ToArray()));
            }
        }
        return new DeleteOptions(policy, grace, uid, rv, dryRun);
    }

    public static async Task<byte[]> ReadBytesAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        var contentType = context.Request.ContentType ?? "";
        if (contentType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal))
        {
            return ProtobufObjects.Decode(await ReadBytesAsync(context).ConfigureAwait(false));
        }
        JsonNode? node;
        try
        {
            node = context.Request.ContentLength == 0 ? null : await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("the object provided is unrecognized: " + e.Message);
        }
        return node as JsonObject ?? throw ApiException.BadRequest("the object provided is not a JSON object");
    }
}
