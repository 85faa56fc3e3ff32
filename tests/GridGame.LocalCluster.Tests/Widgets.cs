using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests;

/// <summary>The test CRD's objects through KubernetesClient's CustomObjects API.</summary>
public sealed class Widgets(Kubernetes client, string ns = "default")
{
    private const string Group = "test.gridgame.io";
    private const string Version = "v1";
    private const string Plural = "widgets";

    public async Task<JsonObject> CreateAsync(JsonObject body, string? fieldValidation = null) =>
        await client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(body, Group, Version, ns, Plural, fieldValidation: fieldValidation);

    public async Task<JsonObject> CreateAsync(string name, long replicas = 1) => await CreateAsync(ApiServer.Widget(name, replicas, ns));

    public async Task<JsonObject> GetAsync(string name) =>
        await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(Group, Version, ns, Plural, name);

    public async Task<JsonObject> ListAsync(string? labelSelector = null, string? fieldSelector = null, int? limit = null, string? continueToken = null) =>
        await client.CustomObjects.ListNamespacedCustomObjectAsync<JsonObject>(Group, Version, ns, Plural, labelSelector: labelSelector, fieldSelector: fieldSelector, limit: limit, continueParameter: continueToken);

    public async Task<JsonObject> ReplaceAsync(JsonObject body) =>
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync<JsonObject>(body, Group, Version, ns, Plural, (string)body["metadata"]!["name"]!);

    public async Task<JsonObject> ReplaceStatusAsync(JsonObject body) =>
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<JsonObject>(body, Group, Version, ns, Plural, (string)body["metadata"]!["name"]!);

    public async Task<JsonObject> PatchAsync(string name, string patch, string type = "merge", string? fieldManager = null) =>
        await client.CustomObjects.PatchNamespacedCustomObjectAsync<JsonObject>(new V1Patch(patch, ParseType(type)), Group, Version, ns, Plural, name, fieldManager: fieldManager);

    public async Task<JsonObject> PatchStatusAsync(string name, string patch) =>
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<JsonObject>(new V1Patch(patch, V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, name);

    public async Task<JsonObject> DeleteAsync(string name, string? propagationPolicy = null) =>
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync<JsonObject>(Group, Version, ns, Plural, name, propagationPolicy: propagationPolicy);

    public async Task<JsonObject> GetScaleAsync(string name) =>
        await client.CustomObjects.GetNamespacedCustomObjectScaleAsync<JsonObject>(Group, Version, ns, Plural, name);

    public async Task<JsonObject> PatchScaleAsync(string name, string patch) =>
        await client.CustomObjects.PatchNamespacedCustomObjectScaleAsync<JsonObject>(new V1Patch(patch, V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, name);

    public async Task<bool> ExistsAsync(string name)
    {
        try
        {
            await GetAsync(name);
            return true;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static V1Patch.PatchType ParseType(string type) => type switch
    {
        "json" => V1Patch.PatchType.JsonPatch,
        "strategic" => V1Patch.PatchType.StrategicMergePatch,
        "apply" => V1Patch.PatchType.ApplyPatch,
        _ => V1Patch.PatchType.MergePatch,
    };
}

/// <summary>Short accessors for JSON objects in assertions.</summary>
public static class JsonAccess
{
    public static string? Str(this JsonObject o, string path) => (string?)Node(o, path);

    public static long? Long(this JsonObject o, string path) => Node(o, path) is JsonValue v ? long.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) : null;

    public static JsonNode? Node(this JsonObject o, string path)
    {
        JsonNode? n = o;
        foreach (var p in path.Split('.'))
        {
            n = (n as JsonObject)?[p];
        }
        return n;
    }
}
