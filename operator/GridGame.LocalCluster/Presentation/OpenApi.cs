using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Presentation;

/// <summary>
/// A minimal OpenAPI v3: the index of group versions and, per group version, the resource paths with their PATCH
/// operations (GVK, accepted patch types, the <c>fieldValidation</c> parameter) and the CRD schemas. That is what
/// kubectl reads to decide on server-side field validation and how to patch, so <c>kubectl apply</c> works unchanged.
/// </summary>
internal static class OpenApi
{
    public static bool TryServe(ClusterStore store, string path, out JsonNode body)
    {
        body = null!;
        if (!path.StartsWith("/openapi/v3", StringComparison.Ordinal))
        {
            return false;
        }
        var types = store.Types.Values.ToList();
        var groupVersions = types.GroupBy(t => t.Group.Length == 0 ? "api/" + t.Version : "apis/" + t.Group + "/" + t.Version)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var p = path.TrimEnd('/');
        if (p == "/openapi/v3")
        {
            var paths = new JsonObject();
            foreach (var (gv, list) in groupVersions.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                paths[gv] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/" + gv + "?hash=" + Hash(Document(list)) };
            }
            body = new JsonObject { ["paths"] = paths };
            return true;
        }
        if (p.StartsWith("/openapi/v3/", StringComparison.Ordinal) && groupVersions.TryGetValue(p["/openapi/v3/".Length..], out var gvTypes))
        {
            body = Document(gvTypes);
            return true;
        }
        return false;
    }

    private static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(document.ToJsonString())))[..32];

    private static JsonObject Document(List<ResourceType> types)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types.OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var prefix = t.Group.Length == 0 ? "/api/" + t.Version : "/apis/" + t.Group + "/" + t.Version;
            var collection = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}" : $"{prefix}/{t.Plural}";
            var gvk = new JsonObject { ["group"] = t.Group, ["kind"] = t.Kind, ["version"] = t.Version };
            var schemaName = SchemaName(t);
            var reference = new JsonObject { ["$ref"] = "#/components/schemas/" + schemaName };
            schemas[schemaName] = Schema(t);
            paths[collection] = new JsonObject
            {
                ["get"] = Operation("list", t, gvk, null),
                ["post"] = Operation("post", t, gvk, reference),
                ["parameters"] = PathParameters(t.Namespaced, false),
            };
            paths[collection + "/{name}"] = new JsonObject
            {
                ["get"] = Operation("get", t, gvk, null),
                ["put"] = Operation("put", t, gvk, reference),
                ["patch"] = Operation("patch", t, gvk, reference),
                ["delete"] = Operation("delete", t, gvk, null),
                ["parameters"] = PathParameters(t.Namespaced, true),
            };
            if (t.HasStatus)
            {
                paths[collection + "/{name}/status"] = new JsonObject
                {
                    ["get"] = Operation("get", t, gvk, null),
                    ["put"] = Operation("put", t, gvk, reference),
                    ["patch"] = Operation("patch", t, gvk, reference),
                    ["parameters"] = PathParameters(t.Namespaced, true),
                };
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static string SchemaName(ResourceType t)
    {
        var group = t.Group.Length == 0 ? "io.k8s.api.core" : string.Join('.', t.Group.Split('.').Reverse());
        return $"{group}.{t.Version}.{t.Kind}";
    }

    private static JsonObject Schema(ResourceType t)
    {
        var schema = (JsonObject?)t.Schema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = t.Group, ["kind"] = t.Kind, ["version"] = t.Version });
        return schema;
    }

    private static JsonArray PathParameters(bool namespaced, bool named)
    {
        var list = new JsonArray();
        if (named)
        {
            list.Add(Parameter("name", "path", "name of the resource", required: true));
        }
        if (namespaced)
        {
            list.Add(Parameter("namespace", "path", "object name and auth scope, such as for teams and projects", required: true));
        }
        list.Add(Parameter("pretty", "query", "If 'true', then the output is pretty printed."));
        return list;
    }

    private static JsonObject Parameter(string name, string @in, string description, bool required = false)
    {
        var p = new JsonObject { ["name"] = name, ["in"] = @in, ["description"] = description, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };
        if (required)
        {
            p["required"] = true;
        }
        return p;
    }

    private static JsonObject Operation(string action, ResourceType t, JsonObject gvk, JsonObject? reference)
    {
        var parameters = new JsonArray();
        if (action is "post" or "put" or "patch")
        {
            parameters.Add(Parameter("dryRun", "query", "When present, indicates that modifications should not be persisted."));
            parameters.Add(Parameter("fieldManager", "query", "fieldManager is a name associated with the actor or entity that is making these changes."));
            parameters.Add(Parameter("fieldValidation", "query", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields."));
        }
        if (action == "patch")
        {
            parameters.Add(Parameter("force", "query", "Force is going to \"force\" Apply requests."));
        }
        var op = new JsonObject
        {
            ["operationId"] = action + t.Kind,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (reference is not null)
        {
            var content = new JsonObject();
            // Strategic merge is served for built-ins but not advertised: without the built-in schemas here, kubectl
            // must compute its strategic patches from its compiled-in types, as it does against a server without OpenAPI.
            var types = action == "patch"
                ? new[] { "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json" }
                : ["*/*"];
            foreach (var mediaType in types)
            {
                content[mediaType] = new JsonObject { ["schema"] = action == "patch" ? new JsonObject { ["type"] = "object" } : reference.DeepClone() };
            }
            op["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
        }
        return op;
    }
}
