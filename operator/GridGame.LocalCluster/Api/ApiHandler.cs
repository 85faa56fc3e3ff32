using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>Serves one HTTP request: discovery, or a verb on a resource routed to its handler, answering errors as Status objects.</summary>
internal sealed class ApiHandler(ClusterStore store, ResourceOperations operations, WatchStreamer watches, TimeProvider time)
{
    private readonly CollectionHandler _collections = new(store, operations, time);
    private readonly PatchHandler _patches = new(store, operations, time);

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ResponseWriter.WriteStatusAsync(context, e.ToStatus(), e.Code).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await ResponseWriter.WriteStatusAsync(context, ApiException.BadRequest("the object provided is unrecognized: " + e.Message).ToStatus(), 400).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            // A bug of ours: answer as the real server answers a panic, with the message, so tests show it.
            await ResponseWriter.WriteStatusAsync(context, ApiException.Internal(e.GetType().Name + ": " + e.Message + " at " + e.StackTrace).ToStatus(), 500).ConfigureAwait(false);
        }
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
            await ResponseWriter.WriteJsonAsync(context, discovery, 200, contentType).ConfigureAwait(false);
            return;
        }
        if (OpenApi.TryServe(store, path, out var openApi))
        {
            await ResponseWriter.WriteJsonAsync(context, openApi, 200).ConfigureAwait(false);
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
        var dryRun = RequestReader.DryRun(query["dryRun"]);
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
                await _collections.ListAsync(context, type, api.Namespace).ConfigureAwait(false);
                return;
            case "GET" when sub == "scale":
                await ResponseWriter.WriteJsonAsync(context, ScaleSubresource.ToScale(type, operations.Get(type, api.Namespace, api.Name!).Object), 200).ConfigureAwait(false);
                return;
            case "GET":
                await ResponseWriter.WriteObjectAsync(context, type, time.GetUtcNow(), operations.Get(type, api.Namespace, api.Name!), 200).ConfigureAwait(false);
                return;
            case "POST" when api.Name is null:
            {
                var body = await RequestReader.ReadObjectAsync(context).ConfigureAwait(false);
                RequestReader.CheckKind(type, body);
                await ResponseWriter.WriteObjectAsync(context, type, time.GetUtcNow(), operations.Run(dryRun, () => operations.Create(type, api.Namespace, body, query["fieldValidation"])), 201).ConfigureAwait(false);
                return;
            }
            case "POST" when sub == "binding":
            {
                var body = await RequestReader.ReadObjectAsync(context).ConfigureAwait(false);
                PodBinding.Bind(operations, type, api.Namespace!, api.Name!, body);
                await ResponseWriter.WriteJsonAsync(context, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 }, 201).ConfigureAwait(false);
                return;
            }
            case "PUT" when api.Name is not null && sub == "scale":
            {
                var scale = await RequestReader.ReadObjectAsync(context).ConfigureAwait(false);
                await ResponseWriter.WriteJsonAsync(context, ScaleSubresource.Write(operations, type, api.Namespace, api.Name, scale), 200).ConfigureAwait(false);
                return;
            }
            case "PUT" when api.Name is not null:
            {
                var body = await RequestReader.ReadObjectAsync(context).ConfigureAwait(false);
                RequestReader.CheckKind(type, body);
                await ResponseWriter.WriteObjectAsync(context, type, time.GetUtcNow(), operations.Run(dryRun, () => operations.Update(type, api.Namespace, api.Name, body, sub, fieldValidation: query["fieldValidation"])), 200).ConfigureAwait(false);
                return;
            }
            case "PATCH" when api.Name is not null:
                await _patches.PatchAsync(context, type, api, dryRun).ConfigureAwait(false);
                return;
            case "DELETE" when api.Name is not null:
            {
                var options = await RequestReader.ReadDeleteOptionsAsync(context).ConfigureAwait(false);
                var (obj, deleted) = operations.Run(dryRun || options.DryRun, () => operations.Delete(type, api.Namespace, api.Name, options));
                if (deleted && !ReturnsDeletedObject(type))
                {
                    await ResponseWriter.WriteJsonAsync(context, SuccessStatus(type, obj), 200).ConfigureAwait(false);
                }
                else
                {
                    await ResponseWriter.WriteObjectAsync(context, type, time.GetUtcNow(), obj, 200).ConfigureAwait(false);
                }
                return;
            }
            case "DELETE":
                await _collections.DeleteCollectionAsync(context, type, api.Namespace).ConfigureAwait(false);
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
}
