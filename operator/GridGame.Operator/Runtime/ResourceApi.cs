using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>One page of a list: the items, the list's resourceVersion and the continue token; items that did not fit the type apart.</summary>
internal sealed record ResourcePage<T>(IReadOnlyList<T> Items, string? ResourceVersion, string? Continue, IReadOnlyList<UndecodableObject>? Undecodable = null);

/// <summary>
/// One line of a watch stream. <see cref="Status"/> is set for ERROR events, <see cref="Object"/> otherwise — or
/// <see cref="Undecodable"/> when the object does not fit the type.
/// </summary>
internal sealed record RawWatchEvent<T>(WatchEventType Type, T? Object, V1Status? Status, UndecodableObject? Undecodable = null);

/// <summary>An object the API server sent that does not fit the model type: what could be read of its metadata, and why.</summary>
internal sealed record UndecodableObject(string? Namespace, string? Name, string? Uid, string? ResourceVersion, string Error)
{
    public string Key => ObjectKey.Of(Namespace, Name ?? string.Empty);

    /// <summary>Reads what it can from the raw object: any field may be missing or of the wrong type.</summary>
    public static UndecodableObject Of(JsonElement raw, Exception error)
    {
        var metadata = raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new UndecodableObject(Text(metadata, "namespace"), Text(metadata, "name"), Text(metadata, "uid"), Text(metadata, "resourceVersion"), error.Message);
    }

    private static string? Text(JsonElement metadata, string name) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// Generic list and watch over the client's own HTTP pipeline (credentials, handlers, base URI), for any
/// resource type, core or custom. We read the watch stream ourselves rather than through <c>Watcher&lt;T&gt;</c>:
/// KubernetesClient 21.0.8 hands an ERROR event (e.g. 410 Expired) to <c>onError</c> instead of yielding it and
/// simply ends the stream when no <c>onError</c> is given, so a 410 would look like a normal timeout. Here an
/// ERROR event is a value the informer acts on.
/// </summary>
internal sealed class ResourceApi(Kubernetes client)
{
    public Kubernetes Client { get; } = client;

    public async Task<ResourcePage<T>> ListPageAsync<T>(ResourceType type, string? @namespace, int limit, string? continueToken, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("?limit=").Append(limit).Append(type.LabelSelectorQuery);
        if (!string.IsNullOrEmpty(continueToken))
        {
            query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
        }

        using var timeout = RequestTimeout(cancellationToken);
        using var response = await SendAsync(HttpMethod.Get, type.CollectionPath(@namespace) + query, timeout.Token).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        return ParseListPage<T>(json);
    }

    /// <summary>
    /// One pass straight into T; only a list holding an item that does not fit T is read again, item by item from
    /// the raw JSON, so one bad object is set aside instead of failing the list (and the informer) for good.
    /// </summary>
    internal static ResourcePage<T> ParseListPage<T>(string json)
    {
        try
        {
            var list = KubernetesJson.Deserialize<ListEnvelope<T>>(json);
            return new ResourcePage<T>(list.Items ?? [], list.Metadata?.ResourceVersion, list.Metadata?.ContinueProperty);
        }
        catch (JsonException)
        {
            // Read below, item by item.
        }
        var raw = KubernetesJson.Deserialize<ListEnvelope<JsonElement>>(json);
        var items = new List<T>();
        var undecodable = new List<UndecodableObject>();
        foreach (var item in raw.Items ?? [])
        {
            try
            {
                items.Add(KubernetesJson.Deserialize<T>(item));
            }
            catch (JsonException ex)
            {
                undecodable.Add(UndecodableObject.Of(item, ex));
            }
        }
        return new ResourcePage<T>(items, raw.Metadata?.ResourceVersion, raw.Metadata?.ContinueProperty, undecodable);
    }

    /// <summary>Watches from <paramref name="resourceVersion"/> with bookmarks; the stream ends at <paramref name="timeoutSeconds"/>.</summary>
    public async IAsyncEnumerable<RawWatchEvent<T>> WatchAsync<T>(
        ResourceType type, string? @namespace, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = type.CollectionPath(@namespace)
            + $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}{type.LabelSelectorQuery}";
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken).ConfigureAwait(false);
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            yield return ParseWatchLine<T>(line);
        }
    }

    internal static RawWatchEvent<T> ParseWatchLine<T>(string line)
    {
        // One pass straight into T for the usual events; the untyped envelope is read once more only for an ERROR
        // line (its object is a Status) or a line whose object does not fit T.
        TypedWatchEnvelope<T>? typed = null;
        try
        {
            typed = KubernetesJson.Deserialize<TypedWatchEnvelope<T>>(line);
        }
        catch (JsonException)
        {
            // A Status that does not fit T (read below as the error it should be), or an object that does not.
        }
        var envelope = typed is null or { Type: "ERROR" } ? KubernetesJson.Deserialize<WatchEnvelope>(line) : null;
        var type = (typed?.Type ?? envelope!.Type) switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            var other => throw new InvalidDataException($"unknown watch event type '{other}'"),
        };
        if (type == WatchEventType.Error)
        {
            return new RawWatchEvent<T>(type, default, KubernetesJson.Deserialize<V1Status>(envelope!.Object));
        }
        if (typed is not null)
        {
            return new RawWatchEvent<T>(type, typed.Object, null);
        }
        try
        {
            // Read alone, so that the decoder's error names the field by its path in the object.
            return new RawWatchEvent<T>(type, KubernetesJson.Deserialize<T>(envelope!.Object), null);
        }
        catch (JsonException ex)
        {
            return new RawWatchEvent<T>(type, default, null, UndecodableObject.Of(envelope!.Object, ex));
        }
    }

    /// <summary>Reads one object; null when it does not exist.</summary>
    public async Task<T?> GetAsync<T>(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await SendForAsync<T>(HttpMethod.Get, ObjectPath(type, @namespace, name, null), null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<T> CreateAsync<T>(ResourceType type, T obj, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        SendForAsync<T>(HttpMethod.Post, type.CollectionPath(obj.Metadata.NamespaceProperty), KubernetesJson.Serialize(obj), "application/json", cancellationToken);

    /// <summary>
    /// Patches an object (or its <c>status</c>/<c>scale</c> subresource) and returns the server's answer, which the
    /// caller puts in its cache with <see cref="ResourceCache{T}.Upsert"/>. Use <see cref="V1Patch.PatchType.JsonPatch"/>
    /// with a <c>test</c> operation on <c>/metadata/resourceVersion</c> for a precondition (a 409/422 means someone else won).
    /// </summary>
    public Task<T> PatchAsync<T>(ResourceType type, string? @namespace, string name, string patch, V1Patch.PatchType patchType, CancellationToken cancellationToken, string? subresource = null)
        where T : class =>
        SendForAsync<T>(HttpMethod.Patch, ObjectPath(type, @namespace, name, subresource), patch, PatchContentType(patchType), cancellationToken);

    /// <summary>Deletes an object; with <paramref name="uid"/> only that incarnation of it (a precondition). False when it was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken, string? uid = null, string propagation = "Background")
    {
        var options = new V1DeleteOptions { PropagationPolicy = propagation, Preconditions = uid is null ? null : new V1Preconditions { Uid = uid } };
        try
        {
            using var timeout = RequestTimeout(cancellationToken);
            using var response = await SendAsync(HttpMethod.Delete, ObjectPath(type, @namespace, name, null), KubernetesJson.Serialize(options), "application/json", timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public static string ObjectPath(ResourceType type, string? @namespace, string name, string? subresource) =>
        $"{type.CollectionPath(@namespace)}/{Uri.EscapeDataString(name)}" + (subresource is null ? string.Empty : "/" + subresource);

    private static string PatchContentType(V1Patch.PatchType type) => type switch
    {
        V1Patch.PatchType.JsonPatch => "application/json-patch+json",
        V1Patch.PatchType.MergePatch => "application/merge-patch+json",
        V1Patch.PatchType.StrategicMergePatch => "application/strategic-merge-patch+json",
        V1Patch.PatchType.ApplyPatch => "application/apply-patch+yaml",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown patch type"),
    };

    private async Task<T> SendForAsync<T>(HttpMethod method, string relativeUri, string? body, string? contentType, CancellationToken cancellationToken)
    {
        using var timeout = RequestTimeout(cancellationToken);
        using var response = await SendAsync(method, relativeUri, body, contentType, timeout.Token).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        return KubernetesJson.Deserialize<T>(json);
    }

    /// <summary>The client's per-request timeout (<c>HttpClientTimeout</c>, 100 s by default), as its own calls apply it; watches have none (the informer's watchdog covers them).</summary>
    private CancellationTokenSource RequestTimeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Client.HttpClientTimeout);
        return cts;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string relativeUri, CancellationToken cancellationToken) =>
        SendAsync(method, relativeUri, null, null, cancellationToken);

    /// <summary>Sends through the client's HttpClient with its credentials; a non-2xx answer throws <see cref="HttpOperationException"/> as the client's own calls do.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relativeUri, string? body, string? contentType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Client.BaseUri, relativeUri));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType ?? "application/json");
        }

        if (Client.Credentials is not null)
        {
            await Client.Credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var response = await Client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpOperationException($"{method} {relativeUri} returned {(int)response.StatusCode}: {answer}")
            {
                Response = new HttpResponseMessageWrapper(response, answer),
            };
        }
    }

    public static bool IsGone(Exception exception) =>
        exception is HttpOperationException { Response.StatusCode: HttpStatusCode.Gone };

    private sealed class ListEnvelope<T>
    {
        [JsonPropertyName("metadata")]
        public V1ListMeta? Metadata { get; set; }

        [JsonPropertyName("items")]
        public List<T>? Items { get; set; }
    }

    private sealed class TypedWatchEnvelope<TObject>
    {
        [JsonPropertyName("type")]
        public string Type { get; set; } = string.Empty;

        [JsonPropertyName("object")]
        public TObject? Object { get; set; }
    }

    private sealed class WatchEnvelope
    {
        [JsonPropertyName("type")]
        public string Type { get; set; } = string.Empty;

        [JsonPropertyName("object")]
        public JsonElement Object { get; set; }
    }
}
