using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>One page of a list: the items, the list's resourceVersion and the continue token.</summary>
internal sealed record ResourcePage<T>(IReadOnlyList<T> Items, string? ResourceVersion, string? Continue);

/// <summary>One line of a watch stream. <see cref="Status"/> is set for ERROR events, <see cref="Object"/> otherwise.</summary>
internal sealed record RawWatchEvent<T>(WatchEventType Type, T? Object, V1Status? Status);

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
        var query = new StringBuilder("?limit=").Append(limit);
        if (!string.IsNullOrEmpty(continueToken))
        {
            query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
        }

        using var response = await SendAsync(HttpMethod.Get, type.CollectionPath(@namespace) + query, cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var list = KubernetesJson.Deserialize<ListEnvelope<T>>(json);
        return new ResourcePage<T>(list.Items ?? [], list.Metadata?.ResourceVersion, list.Metadata?.ContinueProperty);
    }

    /// <summary>Watches from <paramref name="resourceVersion"/> with bookmarks; the stream ends at <paramref name="timeoutSeconds"/>.</summary>
    public async IAsyncEnumerable<RawWatchEvent<T>> WatchAsync<T>(
        ResourceType type, string? @namespace, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = type.CollectionPath(@namespace)
            + $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
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
        var envelope = KubernetesJson.Deserialize<WatchEnvelope>(line);
        var type = envelope.Type switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            _ => throw new InvalidDataException($"unknown watch event type '{envelope.Type}'"),
        };
        return type == WatchEventType.Error
            ? new RawWatchEvent<T>(type, default, KubernetesJson.Deserialize<V1Status>(envelope.Object))
            : new RawWatchEvent<T>(type, KubernetesJson.Deserialize<T>(envelope.Object), null);
    }

    /// <summary>Sends through the client's HttpClient with its credentials; a non-2xx answer throws <see cref="HttpOperationException"/> as the client's own calls do.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relativeUri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Client.BaseUri, relativeUri));
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
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpOperationException($"{method} {relativeUri} returned {(int)response.StatusCode}: {body}")
            {
                Response = new HttpResponseMessageWrapper(response, body),
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

    private sealed class WatchEnvelope
    {
        [JsonPropertyName("type")]
        public string Type { get; set; } = string.Empty;

        [JsonPropertyName("object")]
        public JsonElement Object { get; set; }
    }
}
