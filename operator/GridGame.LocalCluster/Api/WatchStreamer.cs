using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Selection;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// Serves <c>?watch=true</c>: replays from a resourceVersion (or the current state as ADDED for "" and "0"), then
/// streams live events filtered by selectors — an object that stops matching is sent as DELETED, one that starts
/// matching as ADDED — with bookmarks and the <c>timeoutSeconds</c> limit.
/// </summary>
internal sealed class WatchStreamer(ClusterStore store, TimeProvider time, Func<CancellationToken> serverWatchToken, TimeSpan bookmarkInterval, int watcherCapacity)
{
    public async Task StreamAsync(HttpContext context, ResourceType type, string? ns, CancellationToken requestAborted)
    {
        var query = context.Request.Query;
        if (query["sendInitialEvents"] is { Count: > 0 })
        {
            throw ApiException.Invalid("ListOptions", "meta.k8s.io", "",
                [FieldError.Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled")]);
        }
        var selector = ObjectSelector.Parse(query["labelSelector"], query["fieldSelector"], type);
        var bookmarks = query["allowWatchBookmarks"] is { Count: > 0 } b && b[0] == "true";
        var rvText = query["resourceVersion"].ToString();
        var timeout = long.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0
            ? TimeSpan.FromSeconds(t)
            : TimeSpan.FromMinutes(30);
        var asTable = Tables.Wants(context.Request.Headers.Accept.ToString());
        var includeObject = query["includeObject"].ToString();

        // The timeout runs from the request, before the watch registers (so a test clock advanced once it is registered counts).
        using var timeoutCts = new CancellationTokenSource(timeout, time);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-cache, private";
        var body = context.Response.Body;
        await context.Response.StartAsync(requestAborted).ConfigureAwait(false);

        Watcher watcher;
        var initial = new List<StoredObject>();
        try
        {
            lock (store.Gate)
            {
                if (rvText is "" or "0")
                {
                    var (items, rv) = store.List(type.StorageKey, ns);
                    initial.AddRange(items);
                    watcher = store.Subscribe(type.StorageKey, ns, rv, watcherCapacity);
                }
                else
                {
                    var from = ObjectMeta.ParseResourceVersion(rvText)!.Value;
                    watcher = store.Subscribe(type.StorageKey, ns, from, watcherCapacity);
                }
            }
        }
        catch (ApiException e) when (e.Code == 410)
        {
            await WriteEventAsync(body, "ERROR", JsonSerializer.SerializeToUtf8Bytes(e.ToStatus(), JsonDefaults.Options), requestAborted).ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, timeoutCts.Token, serverWatchToken());
        var ct = linked.Token;
        var headersSent = new System.Runtime.CompilerServices.StrongBox<bool>();
        try
        {
            using var batch = new MemoryStream();
            foreach (var o in initial)
            {
                if (selector.Matches(o, type))
                {
                    Append(batch, "ADDED", Render(type, o, asTable, includeObject, headersSent));
                    if (batch.Length > 64 * 1024)
                    {
                        await SendAsync(body, batch, ct).ConfigureAwait(false);
                    }
                }
            }
            await SendAsync(body, batch, ct).ConfigureAwait(false);
            var nextBookmark = time.GetUtcNow() + bookmarkInterval;
            while (!ct.IsCancellationRequested)
            {
                var wait = bookmarks ? nextBookmark - time.GetUtcNow() : Timeout.InfiniteTimeSpan;
                var available = true;
                if (!watcher.Reader.TryPeek(out _))
                {
                    if (bookmarks && wait <= TimeSpan.Zero)
                    {
                        available = false;
                    }
                    else
                    {
                        using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        if (bookmarks)
                        {
                            waitCts.CancelAfter(wait);
                        }
                        try
                        {
                            available = await watcher.Reader.WaitToReadAsync(waitCts.Token).ConfigureAwait(false);
                            if (!available)
                            {
                                return; // dropped (fell behind) or the server closed it: the client reconnects
                            }
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            available = false;
                        }
                    }
                }
                if (available)
                {
                    while (batch.Length < 256 * 1024 && watcher.Reader.TryRead(out var e))
                    {
                        var (kind, obj) = Translate(e, selector, type);
                        if (kind is not null)
                        {
                            Append(batch, kind, Render(type, obj!, asTable, includeObject, headersSent));
                        }
                    }
                }
                if (bookmarks && time.GetUtcNow() >= nextBookmark)
                {
                    Append(batch, "BOOKMARK", Bookmark(type, store.ResourceVersion));
                    nextBookmark = time.GetUtcNow() + bookmarkInterval;
                }
                await SendAsync(body, batch, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            if (bookmarks)
            {
                await WriteEventAsync(body, "BOOKMARK", Bookmark(type, store.ResourceVersion), requestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            // the server dropped its watches (DropWatches or shutdown): end the response, the client reconnects
        }
        catch (IOException)
        {
            // the client went away mid-write
        }
        finally
        {
            store.Unsubscribe(watcher);
        }
    }

    /// <summary>The event a selector watch sees: MODIFIED can become ADDED (starts matching) or DELETED (stops matching).</summary>
    internal static (string? Type, StoredObject? Object) Translate(WatchEvent e, ObjectSelector selector, ResourceType? type = null)
    {
        var now = selector.Matches(e.Object, type);
        var before = e.Previous is not null && selector.Matches(e.Previous, type);
        return e.Type switch
        {
            "ADDED" => now ? ("ADDED", e.Object) : (null, null),
            "DELETED" => before || now ? ("DELETED", e.Object) : (null, null),
            _ when now && before => ("MODIFIED", e.Object),
            _ when now => ("ADDED", e.Object),
            _ when before => ("DELETED", e.Object),
            _ => (null, null),
        };
    }

    private byte[] Render(ResourceType type, StoredObject o, bool asTable, string includeObject, System.Runtime.CompilerServices.StrongBox<bool> headersSent)
    {
        if (asTable)
        {
            var table = Tables.Build(type, [o], time.GetUtcNow(), includeHeaders: !headersSent.Value, includeObject);
            table["metadata"] = new JsonObject { ["resourceVersion"] = o.ResourceVersion.ToString(CultureInfo.InvariantCulture) };
            headersSent.Value = true;
            return JsonSerializer.SerializeToUtf8Bytes(table, JsonDefaults.Options);
        }
        return VersionedJson.Serialize(type, o);
    }

    private static byte[] Bookmark(ResourceType type, long rv) => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture), ["creationTimestamp"] = null },
    }, JsonDefaults.Options);

    private static readonly byte[] Prefix = "{\"type\":\""u8.ToArray();
    private static readonly byte[] Middle = "\",\"object\":"u8.ToArray();
    private static readonly byte[] Suffix = "}\n"u8.ToArray();

    private static readonly Dictionary<string, byte[]> TypeBytes = new(StringComparer.Ordinal)
    {
        ["ADDED"] = "ADDED"u8.ToArray(),
        ["MODIFIED"] = "MODIFIED"u8.ToArray(),
        ["DELETED"] = "DELETED"u8.ToArray(),
        ["BOOKMARK"] = "BOOKMARK"u8.ToArray(),
        ["ERROR"] = "ERROR"u8.ToArray(),
    };

    private static void Append(MemoryStream batch, string type, byte[] obj)
    {
        batch.Write(Prefix);
        batch.Write(TypeBytes.TryGetValue(type, out var bytes) ? bytes : Encoding.UTF8.GetBytes(type));
        batch.Write(Middle);
        batch.Write(obj);
        batch.Write(Suffix);
    }

    /// <summary>One write and one flush per batch of events: the client sees them together, the server pays once.</summary>
    private static async Task SendAsync(Stream body, MemoryStream batch, CancellationToken ct)
    {
        if (batch.Length > 0)
        {
            await body.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), ct).ConfigureAwait(false);
            batch.SetLength(0);
        }
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(Stream body, string type, byte[] obj, CancellationToken ct)
    {
        await body.WriteAsync(Prefix, ct).ConfigureAwait(false);
        await body.WriteAsync(Encoding.UTF8.GetBytes(type), ct).ConfigureAwait(false);
        await body.WriteAsync(Middle, ct).ConfigureAwait(false);
        await body.WriteAsync(obj, ct).ConfigureAwait(false);
        await body.WriteAsync(Suffix, ct).ConfigureAwait(false);
    }
}
