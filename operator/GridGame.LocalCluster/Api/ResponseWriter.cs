using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>Writes a response: a Status, any JSON, or an object as the client asked for it (JSON, Table or PartialObjectMetadata).</summary>
internal static class ResponseWriter
{
    public static async Task WriteStatusAsync(HttpContext context, JsonObject status, int code)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(status, JsonDefaults.Options), context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteObjectAsync(HttpContext context, ResourceType type, DateTimeOffset now, StoredObject o, int code)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (Tables.Wants(accept))
        {
            var table = Tables.Build(type, [o], now, includeHeaders: true, context.Request.Query["includeObject"]);
            table["metadata"] = new JsonObject { ["resourceVersion"] = o.ResourceVersion.ToString(CultureInfo.InvariantCulture) };
            await WriteJsonAsync(context, table, code, Tables.ContentType).ConfigureAwait(false);
            return;
        }
        if (PartialMetadata.Wants(accept))
        {
            await WriteJsonAsync(context, PartialMetadata.Of(o), code).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(VersionedJson.Serialize(type, o), context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteJsonAsync(HttpContext context, JsonNode body, int code, string contentType = "application/json")
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, JsonDefaults.Options), context.RequestAborted).ConfigureAwait(false);
    }
}
