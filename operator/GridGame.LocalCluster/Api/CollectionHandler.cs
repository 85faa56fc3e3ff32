using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Selection;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>The verbs on a collection: list (selectors, paging with continue tokens, tables) and delete-collection.</summary>
internal sealed class CollectionHandler(ClusterStore store, ResourceOperations operations, TimeProvider time)
{
    private static readonly byte[] ListTail = "]}"u8.ToArray();

    public async Task ListAsync(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var selector = ObjectSelector.Parse(query["labelSelector"], query["fieldSelector"], type);
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
            if (!selector.Matches(o, type))
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
            await ResponseWriter.WriteJsonAsync(context, table, 200, Tables.ContentType).ConfigureAwait(false);
            return;
        }
        if (PartialMetadata.Wants(accept))
        {
            await ResponseWriter.WriteJsonAsync(context, PartialMetadata.List(selected, listRv, next), 200).ConfigureAwait(false);
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
            await body.WriteAsync(VersionedJson.Serialize(type, selected[i]), ct).ConfigureAwait(false);
        }
        await body.WriteAsync(ListTail, ct).ConfigureAwait(false);
    }

    public async Task DeleteCollectionAsync(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var selector = ObjectSelector.Parse(query["labelSelector"], query["fieldSelector"], type);
        var options = await RequestReader.ReadDeleteOptionsAsync(context).ConfigureAwait(false);
        var deleted = new JsonArray();
        long rv;
        lock (store.Gate)
        {
            foreach (var o in store.List(type.StorageKey, ns).Items)
            {
                if (selector.Matches(o, type) && store.Get(type.StorageKey, o.Namespace, o.Name) is not null)
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
        await ResponseWriter.WriteJsonAsync(context, list, 200).ConfigureAwait(false);
    }
}
