using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Kubelets;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// <c>GET pods/{name}/log</c>, as kube-apiserver serves it: validate the options and the container against the pod,
/// find the pod's node, and proxy to that node's kubelet (<c>/containerLogs/...</c> at its address and
/// <c>status.daemonEndpoints.kubeletEndpoint.Port</c>), streaming the body through as it comes.
/// </summary>
internal static class PodLogProxy
{
    // Static so the routing change in ApiHandler stays one line; connections to kubelets are pooled across servers
    // (exec's refusals use it too). No timeout: a follow streams for as long as the client reads.
    internal static readonly HttpClient Kubelets = new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    /// <summary>kubeadm's <c>--kubelet-preferred-address-types</c>: node names do not resolve here.</summary>
    private static readonly string[] AddressTypes = ["InternalIP", "ExternalIP", "Hostname"];

    public static async Task ServeAsync(HttpContext context, ClusterStore store, ResourceType pods, string ns, string name)
    {
        if (context.Request.Method != "GET")
        {
            throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
        var (options, decodeError) = LogOptions.Parse(context.Request.Query);
        if (options is null)
        {
            throw ApiException.BadRequest(decodeError!);
        }
        if (options.Validate() is { Count: > 0 } invalid)
        {
            throw ApiException.Invalid("PodLogOptions", "", name,
                [.. invalid.Select(e => e.Value is null ? FieldError.Forbidden(e.Field, e.Detail) : FieldError.Invalid(e.Field, e.Value, e.Detail))]);
        }
        var pod = store.Get(pods.StorageKey, ns, name)?.Object ?? throw ApiException.NotFound("pods", "", name);
        var container = Container(pod, name, context.Request.Query["container"]);
        var nodeName = (string?)pod["spec"]?["nodeName"];
        if (string.IsNullOrEmpty(nodeName))
        {
            // As upstream: an unscheduled pod has no log location, and the answer is an empty 204.
            context.Response.StatusCode = 204;
            return;
        }
        var kubelet = KubeletOf(store, name, nodeName, "there are no logs; use the process kubelet for logs");
        var url = new StringBuilder().Append(CultureInfo.InvariantCulture, $"http://{kubelet}/containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}");
        var separator = '?';
        foreach (var key in LogOptions.Names)
        {
            if (context.Request.Query[key] is { Count: > 0 } values && values[0] is { Length: > 0 } value)
            {
                url.Append(separator).Append(key).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }
        await ProxyAsync(context, url.ToString(), name).ConfigureAwait(false);
    }

    /// <summary>The container asked for, or the only one; as upstream's ValidateContainer (kubectl picks a default itself).</summary>
    internal static string Container(JsonObject pod, string name, string? asked)
    {
        var spec = pod["spec"];
        var names = ContainerLists
            .SelectMany(list => (spec?[list] as JsonArray ?? []).Select(c => (string?)c?["name"] ?? ""))
            .ToList();
        if (!string.IsNullOrEmpty(asked))
        {
            return names.Contains(asked) ? asked : throw ApiException.BadRequest($"container {asked} is not valid for pod {name}");
        }
        var containers = spec?["containers"] as JsonArray ?? [];
        return containers.Count switch
        {
            1 => (string?)containers[0]?["name"] ?? "",
            0 => throw ApiException.BadRequest($"a container name must be specified for pod {name}"),
            _ => throw ApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', names)}]"),
        };
    }

    /// <summary>
    /// <c>address:port</c> of the kubelet of the pod's node (its <c>status.daemonEndpoints.kubeletEndpoint</c>); a node
    /// that publishes none is the simulated kubelet's, and the refusal says <paramref name="nothingThere"/>.
    /// </summary>
    internal static string KubeletOf(ClusterStore store, string pod, string nodeName, string nothingThere)
    {
        var node = store.Get(store.FindType("", "v1", "nodes")!.StorageKey, "", nodeName)?.Object ?? throw ApiException.NotFound("nodes", "", nodeName);
        var port = (int?)node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] ?? 0;
        if (port <= 0)
        {
            throw ApiException.BadRequest($"pod \"{pod}\" runs on node \"{nodeName}\", which publishes no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port is 0): "
                + "LocalCluster's simulated kubelet runs no processes, so " + nothingThere);
        }
        var address = Address(node) ?? throw ApiException.BadRequest($"node \"{nodeName}\" has no address to reach its kubelet at");
        return string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");
    }

    private static string? Address(JsonObject node)
    {
        var addresses = (node["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return AddressTypes
            .Select(type => addresses.FirstOrDefault(a => (string?)a["type"] == type) is { } a ? (string?)a["address"] : null)
            .FirstOrDefault(a => !string.IsNullOrEmpty(a));
    }

    private static async Task ProxyAsync(HttpContext context, string url, string name)
    {
        var cancellationToken = context.RequestAborted;
        HttpResponseMessage response;
        try
        {
            response = await Kubelets.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // What kube-apiserver answers when it cannot reach a kubelet: a bare 500 carrying the transport error.
            throw new ApiException(500, "", $"Get \"{url}\": {e.Message}");
        }
        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // As upstream's GenericHttpResponseChecker: the kubelet's text becomes the Status message.
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                text = text.Length > 4096 ? text[..4096] : text;
                throw (int)response.StatusCode switch
                {
                    400 => ApiException.BadRequest(text),
                    404 => new ApiException(404, "NotFound", text, new JsonObject { ["name"] = name, ["kind"] = "pods/log" }),
                    500 => ApiException.Internal(text),
                    var code => new ApiException(code, "", text),
                };
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            await context.Response.StartAsync(cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var buffer = new byte[16 * 1024];
                int read;
                // Flush every read: a follow must reach the client line by line, not when a buffer fills.
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
