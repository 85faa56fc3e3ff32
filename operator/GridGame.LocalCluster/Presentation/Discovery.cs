using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Presentation;

/// <summary>
/// /version, /api, /apis, /apis/GROUP and the group-version resource lists (with verbs, subresources, short names and
/// categories) that kubectl and client libraries discover resources through; health endpoints too.
/// </summary>
internal static class Discovery
{
    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];

    public static bool TryServe(ClusterStore store, string path, string accept, out JsonNode body, out string contentType)
    {
        contentType = "application/json";
        body = null!;
        var p = path.TrimEnd('/');
        if (p.Length == 0)
        {
            p = "/";
        }
        if (!IsDiscoveryPath(p))
        {
            return false;
        }
        var types = store.Types.Values.ToList();
        if (p is "/api" or "/apis" && AggregatedVersion(accept) is { } discoveryVersion)
        {
            body = Aggregated(types, core: p == "/api", discoveryVersion);
            contentType = $"application/json;g=apidiscovery.k8s.io;v={discoveryVersion};as=APIGroupDiscoveryList";
            return true;
        }
        switch (p)
        {
            case "/version":
                body = new JsonObject
                {
                    ["major"] = "1",
                    ["minor"] = "32",
                    ["gitVersion"] = "v1.32.0-gridgame-localcluster",
                    ["gitCommit"] = "0000000000000000000000000000000000000000",
                    ["gitTreeState"] = "clean",
                    ["buildDate"] = "2026-01-01T00:00:00Z",
                    ["goVersion"] = "go1.23.0",
                    ["compiler"] = "gc",
                    ["platform"] = "linux/amd64",
                };
                return true;
            case "/api":
                body = new JsonObject
                {
                    ["kind"] = "APIVersions",
                    ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
                };
                return true;
            case "/apis":
                body = new JsonObject
                {
                    ["kind"] = "APIGroupList",
                    ["apiVersion"] = "v1",
                    ["groups"] = new JsonArray(Groups(types).Select(g => (JsonNode?)GroupObject(g.Key, g.Value)).ToArray()),
                };
                return true;
            case "/healthz" or "/livez" or "/readyz":
                body = JsonValue.Create("ok");
                contentType = "text/plain";
                return true;
            case "/api/v1":
                body = ResourceList("v1", types.Where(t => t.Group.Length == 0 && t.Version == "v1"));
                return true;
            default:
                break;
        }
        var parts = p.Trim('/').Split('/');
        if (parts[0] != "apis" || parts.Length is < 2 or > 3)
        {
            return false;
        }
        var groups = Groups(types);
        if (!groups.TryGetValue(parts[1], out var versions))
        {
            return false;
        }
        if (parts.Length == 2)
        {
            body = GroupObject(parts[1], versions);
            return true;
        }
        if (!versions.Contains(parts[2]))
        {
            return false;
        }
        body = ResourceList(parts[1] + "/" + parts[2], types.Where(t => t.Group == parts[1] && t.Version == parts[2]));
        return true;
    }

    /// <summary>Cheap pre-check, so resource requests do not pay for discovery: /version, /api, /api/v1, /apis[/G[/V]], health.</summary>
    private static bool IsDiscoveryPath(string p)
    {
        if (p is "/version" or "/api" or "/api/v1" or "/apis" or "/healthz" or "/livez" or "/readyz")
        {
            return true;
        }
        if (!p.StartsWith("/apis/", StringComparison.Ordinal))
        {
            return false;
        }
        var slashes = p.Count(c => c == '/');
        return slashes <= 3;
    }

    /// <summary>The aggregated discovery version the client accepts (v2 preferred), or null for the classic documents.</summary>
    private static string? AggregatedVersion(string accept)
    {
        foreach (var part in accept.Split(','))
        {
            if (part.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && part.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal))
            {
                if (part.Contains("v=v2beta1", StringComparison.Ordinal))
                {
                    return "v2beta1";
                }
                if (part.Contains("v=v2", StringComparison.Ordinal))
                {
                    return "v2";
                }
            }
        }
        return null;
    }

    /// <summary>apidiscovery.k8s.io APIGroupDiscoveryList: every group, version and resource in one document.</summary>
    private static JsonObject Aggregated(List<ResourceType> types, bool core, string version)
    {
        var items = new JsonArray();
        var groups = core ? new Dictionary<string, List<string>> { [""] = ["v1"] } : Groups(types);
        foreach (var (group, versions) in groups)
        {
            var versionList = new JsonArray();
            foreach (var v in versions)
            {
                var resources = new JsonArray();
                foreach (var t in types.Where(t => t.Group == group && t.Version == v).OrderBy(t => t.Plural, StringComparer.Ordinal))
                {
                    var subresources = new JsonArray();
                    if (t.HasStatus)
                    {
                        subresources.Add(AggregatedSubresource("status", Kind(t.Group, t.Version, t.Kind), SubresourceVerbs));
                    }
                    if (t.Scale is not null)
                    {
                        subresources.Add(AggregatedSubresource("scale", Kind("autoscaling", "v1", "Scale"), SubresourceVerbs));
                    }
                    if (t.IsCore("pods"))
                    {
                        subresources.Add(AggregatedSubresource("binding", Kind("", "v1", "Binding"), ["create"]));
                        subresources.Add(AggregatedSubresource("log", Kind("", "v1", "Pod"), ["get"]));
                        subresources.Add(AggregatedSubresource("exec", Kind("", "v1", "PodExecOptions"), ["create", "get"]));
                    }
                    var r = new JsonObject
                    {
                        ["resource"] = t.Plural,
                        ["responseKind"] = Kind(t.Group, t.Version, t.Kind),
                        ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = t.Singular,
                        ["verbs"] = new JsonArray(Verbs.Select(x => (JsonNode?)x).ToArray()),
                    };
                    if (t.ShortNames.Count > 0)
                    {
                        r["shortNames"] = new JsonArray(t.ShortNames.Select(x => (JsonNode?)x).ToArray());
                    }
                    if (t.Categories.Count > 0)
                    {
                        r["categories"] = new JsonArray(t.Categories.Select(x => (JsonNode?)x).ToArray());
                    }
                    if (subresources.Count > 0)
                    {
                        r["subresources"] = subresources;
                    }
                    resources.Add(r);
                }
                versionList.Add(new JsonObject { ["version"] = v, ["resources"] = resources, ["freshness"] = "Current" });
            }
            items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null }, ["versions"] = versionList });
        }
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/" + version,
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject Kind(string group, string version, string kind) => new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonObject AggregatedSubresource(string name, JsonObject responseKind, string[] verbs) => new()
    {
        ["subresource"] = name,
        ["responseKind"] = responseKind,
        ["verbs"] = new JsonArray(verbs.Select(x => (JsonNode?)x).ToArray()),
    };

    /// <summary>Groups in a stable order (built-in first, as the real server lists them), each with its served versions.</summary>
    private static Dictionary<string, List<string>> Groups(List<ResourceType> types)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var t in types.Where(t => t.Group.Length > 0).OrderBy(t => t.IsCustom).ThenBy(t => t.Group, StringComparer.Ordinal))
        {
            if (!groups.TryGetValue(t.Group, out var versions))
            {
                versions = [];
                groups[t.Group] = versions;
            }
            if (!versions.Contains(t.Version))
            {
                versions.Add(t.Version);
            }
        }
        return groups;
    }

    private static JsonObject GroupObject(string group, List<string> versions)
    {
        var list = new JsonArray(versions.Select(v => (JsonNode?)new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v }).ToArray());
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    private static JsonObject ResourceList(string groupVersion, IEnumerable<ResourceType> types)
    {
        var resources = new JsonArray();
        foreach (var t in types.OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray(Verbs.Select(v => (JsonNode?)v).ToArray()),
            };
            if (t.ShortNames.Count > 0)
            {
                r["shortNames"] = new JsonArray(t.ShortNames.Select(s => (JsonNode?)s).ToArray());
            }
            if (t.Categories.Count > 0)
            {
                r["categories"] = new JsonArray(t.Categories.Select(s => (JsonNode?)s).ToArray());
            }
            resources.Add(r);
            if (t.HasStatus)
            {
                resources.Add(Subresource(t.Plural + "/status", t.Namespaced, t.Kind, null, null, SubresourceVerbs));
            }
            if (t.Scale is not null)
            {
                resources.Add(Subresource(t.Plural + "/scale", t.Namespaced, "Scale", "autoscaling", "v1", SubresourceVerbs));
            }
            if (t.IsCore("pods"))
            {
                resources.Add(Subresource("pods/binding", true, "Binding", null, null, ["create"]));
                resources.Add(Subresource("pods/log", true, "Pod", null, null, ["get"]));
                resources.Add(Subresource("pods/exec", true, "PodExecOptions", null, null, ["create", "get"]));
            }
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion, ["resources"] = resources };
    }

    private static JsonObject Subresource(string name, bool namespaced, string kind, string? group, string? version, string[] verbs)
    {
        var r = new JsonObject { ["name"] = name, ["singularName"] = "", ["namespaced"] = namespaced };
        if (group is not null)
        {
            r["group"] = group;
            r["version"] = version;
        }
        r["kind"] = kind;
        r["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)v).ToArray());
        return r;
    }
}
