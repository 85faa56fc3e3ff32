using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Patching;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Selection;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>Serves one HTTP request: discovery, or a verb on a resource, answering errors as Status objects.</summary>
internal sealed class ApiHandler(ClusterStore store, ResourceOperations operations, WatchStreamer watches, TimeProvider time)
{
    private static readonly byte[] ListTail = "]}"u8.ToArray();

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(context, e.ToStatus(), e.Code).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteStatusAsync(context, ApiException.BadRequest("the object provided is unrecognized: " + e.Message).ToStatus(), 400).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            // A bug of ours: answer as the real server answers a panic, with the message, so tests show it.
            await WriteStatusAsync(context, ApiException.Internal(e.GetType().Name + ": " + e.Message + " at " + e.StackTrace).ToStatus(), 500).ConfigureAwait(false);
        }
    }

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

    private async Task DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (Discovery.TryServe(store, path, request.Headers.Accept.ToString(), out var discovery, out var contentType))
        {
            if (contentType == "text/plain")
            {
                context.Response.ContentType = contentType;
                await context.Response.WriteAsync((string?)discovery ?? "", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            await WriteJsonAsync(context, discovery, 200, contentType).ConfigureAwait(false);
            return;
        }
        if (OpenApi.TryServe(store, path, out var openApi))
        {
            await WriteJsonAsync(context, openApi, 200).ConfigureAwait(false);
            return;
        }
        var api = ApiPath.Parse(path) ?? throw ApiException.ResourceNotFound();
        var type = store.FindType(api.Group, api.Version, api.Resource) ?? throw ApiException.ResourceNotFound();
        if (!type.Namespaced && api.Namespace is not null)
        {
            throw ApiException.ResourceNotFound(); // a cluster-scoped resource has no namespaced paths
        }
        if (type.Namespaced && api.Namespace is null && (api.Name is not null || request.Method != "GET"))
        {
            throw ApiException.ResourceNotFound(); // without a namespace only list and watch across namespaces are served
        }
        var query = request.Query;
        var dryRun = DryRun(query["dryRun"]);
        var watch = api.LegacyWatch || query["watch"] is { Count: > 0 } w && (w[0] is "true" or "1");
        var sub = api.Subresource;
        if (sub is not null && !IsServedSubresource(type, sub))
        {
            throw ApiException.ResourceNotFound();
        }
        if (sub == "exec")
        {
            await PodExecProxy.ServeAsync(context, store, type, api.Namespace!, api.Name!).ConfigureAwait(false);
            return;
        }
        if (sub == "log")
        {
            await PodLogProxy.ServeAsync(context, store, type, api.Namespace!, api.Name!).ConfigureAwait(false);
            return;
        }
        switch (request.Method)
        {
            case "GET" when api.Name is null && watch:
                await watches.StreamAsync(context, type, api.Namespace, context.RequestAborted).ConfigureAwait(false);
                return;
            case "GET" when api.Name is null:
                await ListAsync(context, type, api.Namespace).ConfigureAwait(false);
                return;
            case "GET" when sub == "scale":
                await WriteJsonAsync(context, ScaleSubresource.ToScale(type, operations.Get(type, api.Namespace, api.Name!).Object), 200).ConfigureAwait(false);
                return;
            case "GET":
                await WriteObjectAsync(context, type, operations.Get(type, api.Namespace, api.Name!), 200).ConfigureAwait(false);
                return;
            case "POST" when api.Name is null:
            {
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                CheckKind(type, body);
                await WriteObjectAsync(context, type, operations.Run(dryRun, () => operations.Create(type, api.Namespace, body, query["fieldValidation"])), 201).ConfigureAwait(false);
                return;
            }
            case "POST" when sub == "binding":
            {
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                operations.Bind(type, api.Namespace!, api.Name!, body);
                await WriteJsonAsync(context, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 }, 201).ConfigureAwait(false);
                return;
            }
            case "PUT" when api.Name is not null && sub == "scale":
            {
                var scale = await ReadObjectAsync(context).ConfigureAwait(false);
                await WriteJsonAsync(context, ScaleSubresource.Write(operations, type, api.Namespace, api.Name, scale), 200).ConfigureAwait(false);
                return;
            }
            case "PUT" when api.Name is not null:
            {
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                CheckKind(type, body);
                await WriteObjectAsync(context, type, operations.Run(dryRun, () => operations.Update(type, api.Namespace, api.Name, body, sub, fieldValidation: query["fieldValidation"])), 200).ConfigureAwait(false);
                return;
            }
            case "PATCH" when api.Name is not null:
                await PatchAsync(context, type, api, dryRun).ConfigureAwait(false);
                return;
            case "DELETE" when api.Name is not null:
            {
                var options = await ReadDeleteOptionsAsync(context).ConfigureAwait(false);
                var (obj, deleted) = operations.Run(dryRun || options.DryRun, () => operations.Delete(type, api.Namespace, api.Name, options));
                if (deleted && !ReturnsDeletedObject(type))
                {
                    await WriteJsonAsync(context, SuccessStatus(type, obj), 200).ConfigureAwait(false);
                }
                else
                {
                    await WriteObjectAsync(context, type, obj, 200).ConfigureAwait(false);
                }
                return;
            }
            case "DELETE":
                await DeleteCollectionAsync(context, type, api.Namespace).ConfigureAwait(false);
                return;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private static bool IsServedSubresource(ResourceType type, string sub) => sub switch
    {
        "status" => type.HasStatus,
        "scale" => type.Scale is not null,
        "binding" => type.IsCore("pods"),
        "log" or "exec" => type.IsCore("pods"),
        _ => false,
    };

    private static bool ReturnsDeletedObject(ResourceType type) =>
        type.IsCustom || type.IsCore("pods") || type.IsCore("services") || type.IsCore("namespaces") || type.Group == "apiextensions.k8s.io";

    private static JsonObject SuccessStatus(ResourceType type, StoredObject obj) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = obj.Name,
            ["group"] = type.Group,
            ["kind"] = type.Plural,
            ["uid"] = ObjectMeta.Str(obj.Object, "uid"),
        },
    };

    private static void CheckKind(ResourceType type, JsonObject body)
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

    private async Task ListAsync(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], type.SelectableFields, type.Kind);
        var limit = long.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : long.MaxValue;
        if (query["resourceVersion"] == "0" && query["continue"].Count == 0)
        {
            limit = long.MaxValue; // served "from the watch cache": upstream ignores limit for resourceVersion=0
        }
        string? startAfter = null;
        long? continueRv = null;
        if (query["continue"] is { Count: > 0 } cont && cont[0] is { Length: > 0 } token)
        {
            (continueRv, startAfter) = ContinueToken.Decode(token);
            if (continueRv < store.HistoryFloor)
            {
                // As upstream once etcd compacted the list's revision: the client must start the list again.
                throw ApiException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }
        }
        var (items, rv) = store.List(type.StorageKey, ns, startAfter);
        var selected = new List<StoredObject>();
        string? next = null;
        foreach (var o in items)
        {
            if (!labels.Matches(o.Object["metadata"]?["labels"] as JsonObject) || !fields.Matches(type.View(o)))
            {
                continue;
            }
            if (selected.Count == limit)
            {
                next = ContinueToken.Encode(continueRv ?? rv, selected[^1].Key);
                break;
            }
            selected.Add(o);
        }
        var listRv = (continueRv ?? rv).ToString(CultureInfo.InvariantCulture);
        var accept = context.Request.Headers.Accept.ToString();
        if (Tables.Wants(accept))
        {
            var table = Tables.Build(type, selected, time.GetUtcNow(), includeHeaders: true, context.Request.Query["includeObject"]);
            var tableMeta = new JsonObject { ["resourceVersion"] = listRv };
            if (next is not null)
            {
                tableMeta["continue"] = next;
            }
            table["metadata"] = tableMeta;
            await WriteJsonAsync(context, table, 200, Tables.ContentType).ConfigureAwait(false);
            return;
        }
        if (PartialMetadata.Wants(accept))
        {
            await WriteJsonAsync(context, PartialMetadata.List(selected, listRv, next), 200).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var head = new StringBuilder()
            .Append("{\"kind\":\"").Append(type.ListKind).Append("\",\"apiVersion\":\"").Append(type.ApiVersion)
            .Append("\",\"metadata\":{\"resourceVersion\":\"").Append(listRv).Append('"');
        if (next is not null)
        {
            head.Append(",\"continue\":\"").Append(next).Append('"');
        }
        head.Append("},\"items\":[");
        var body = context.Response.Body;
        var ct = context.RequestAborted;
        await body.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), ct).ConfigureAwait(false);
        for (var i = 0; i < selected.Count; i++)
        {
            if (i > 0)
            {
                await body.WriteAsync(","u8.ToArray(), ct).ConfigureAwait(false);
            }
            await body.WriteAsync(Versioned(type, selected[i]), ct).ConfigureAwait(false);
        }
        await body.WriteAsync(ListTail, ct).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], type.SelectableFields, type.Kind);
        var options = await ReadDeleteOptionsAsync(context).ConfigureAwait(false);
        var deleted = new JsonArray();
        long rv;
        lock (store.Gate)
        {
            foreach (var o in store.List(type.StorageKey, ns).Items)
            {
                if (labels.Matches(o.Object["metadata"]?["labels"] as JsonObject) && fields.Matches(type.View(o)) && store.Get(type.StorageKey, o.Namespace, o.Name) is not null)
                {
                    deleted.Add(operations.Delete(type, o.Namespace.Length > 0 ? o.Namespace : null, o.Name, options).Object.Clone());
                }
            }
            rv = store.CurrentResourceVersion;
        }
        var list = new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
        await WriteJsonAsync(context, list, 200).ConfigureAwait(false);
    }

    private static bool DryRun(Microsoft.Extensions.Primitives.StringValues values)
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

    private async Task PatchAsync(HttpContext context, ResourceType type, ApiPath api, bool dryRun)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var raw = await ReadBodyAsync(context).ConfigureAwait(false);
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
            await WriteJsonAsync(context, ScaleSubresource.Patch(operations, type, api.Namespace, name, contentType, patch), 200).ConfigureAwait(false);
            return;
        }
        StoredObject result;
        var status = 200;
        lock (store.Gate)
        {
            var finished = operations.Run(dryRun, () => PatchLocked(context, type, api, contentType, patch));
            (result, status) = finished;
        }
        await WriteObjectAsync(context, type, result, status).ConfigureAwait(false);
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
                CheckKind(type, created);
                ObjectMeta.Meta(created)["name"] ??= name;
                result = operations.Create(type, api.Namespace, created, context.Request.Query["fieldValidation"]);
                status = 201;
            }
            else
            {
                var patched = ApplyPatchDocument(type, current, contentType, patch, context.Request.Query["fieldManager"]);
                result = operations.Update(type, api.Namespace, name, patched, sub, fromPatch: true, context.Request.Query["fieldValidation"]);
            }
        }
        return (result, status);
    }

    /// <summary>Applies a patch document of any supported type to a stored object, returning the patched JSON.</summary>
    public static JsonObject ApplyPatchDocument(ResourceType type, StoredObject current, string contentType, JsonNode? patch, string? fieldManager)
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

    private async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
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
        var raw = await ReadBodyAsync(context).ConfigureAwait(false);
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
                dryRun = DryRun(new Microsoft.Extensions.Primitives.StringValues(dry.Select(d => (string?)d).ToArray()));
            }
        }
        return new DeleteOptions(policy, grace, uid, rv, dryRun);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        var contentType = context.Request.ContentType ?? "";
        if (contentType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal))
        {
            return ProtobufObjects.Decode(await ReadBodyAsync(context).ConfigureAwait(false));
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

    private static byte[] Versioned(ResourceType type, StoredObject o)
    {
        if (type.Conversion is not null)
        {
            return JsonSerializer.SerializeToUtf8Bytes(type.View(o), JsonDefaults.Options);
        }
        if ((string?)o.Object["apiVersion"] == type.ApiVersion)
        {
            return o.Json;
        }
        var copy = o.Clone();
        copy["apiVersion"] = type.ApiVersion;
        return JsonSerializer.SerializeToUtf8Bytes(copy, JsonDefaults.Options);
    }

    private async Task WriteObjectAsync(HttpContext context, ResourceType type, StoredObject o, int code)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (Tables.Wants(accept))
        {
            var table = Tables.Build(type, [o], time.GetUtcNow(), includeHeaders: true, context.Request.Query["includeObject"]);
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
        await context.Response.Body.WriteAsync(Versioned(type, o), context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteJsonAsync(HttpContext context, JsonNode body, int code, string contentType = "application/json")
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, JsonDefaults.Options), context.RequestAborted).ConfigureAwait(false);
    }
}

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
