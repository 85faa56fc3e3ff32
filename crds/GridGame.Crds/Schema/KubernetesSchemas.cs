using System.Text.Json.Nodes;

namespace GridGame.Crds.Schema;

/// <summary>Schemas of the Kubernetes types our resources embed, as the API server's own CRDs write them.</summary>
internal static class KubernetesSchemas
{
    /// <summary>
    /// A pod template: its metadata and spec keep every field (the API server validates pods when they are created),
    /// with just enough declared to reject a template without containers early.
    /// </summary>
    public static JsonObject PodTemplate(bool preserveUnknownFields)
    {
        var metadata = new JsonObject { ["type"] = "object" };
        var spec = new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["containers"] = new JsonObject
                {
                    ["items"] = new JsonObject
                    {
                        ["properties"] = new JsonObject
                        {
                            ["image"] = new JsonObject { ["minLength"] = 1, ["type"] = "string" },
                            ["name"] = new JsonObject { ["minLength"] = 1, ["type"] = "string" },
                        },
                        ["required"] = new JsonArray("image", "name"),
                        ["type"] = "object",
                        ["x-kubernetes-preserve-unknown-fields"] = true,
                    },
                    ["minItems"] = 1,
                    ["type"] = "array",
                },
            },
            ["required"] = new JsonArray("containers"),
            ["type"] = "object",
        };
        if (preserveUnknownFields)
        {
            metadata["x-kubernetes-preserve-unknown-fields"] = true;
            spec["x-kubernetes-preserve-unknown-fields"] = true;
        }

        return new JsonObject
        {
            ["properties"] = new JsonObject { ["metadata"] = metadata, ["spec"] = spec },
            ["required"] = new JsonArray("spec"),
            ["type"] = "object",
        };
    }

    /// <summary>metav1.LabelSelector.</summary>
    public static JsonObject LabelSelector() => new()
    {
        ["properties"] = new JsonObject
        {
            ["matchExpressions"] = new JsonObject
            {
                ["description"] = "Label requirements, all of which must hold.",
                ["items"] = new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["key"] = new JsonObject { ["description"] = "The label key.", ["type"] = "string" },
                        ["operator"] = new JsonObject { ["description"] = "In, NotIn, Exists or DoesNotExist.", ["type"] = "string" },
                        ["values"] = new JsonObject
                        {
                            ["description"] = "The values for In and NotIn; empty for Exists and DoesNotExist.",
                            ["items"] = new JsonObject { ["type"] = "string" },
                            ["type"] = "array",
                            ["x-kubernetes-list-type"] = "atomic",
                        },
                    },
                    ["required"] = new JsonArray("key", "operator"),
                    ["type"] = "object",
                },
                ["type"] = "array",
                ["x-kubernetes-list-type"] = "atomic",
            },
            ["matchLabels"] = new JsonObject
            {
                ["additionalProperties"] = new JsonObject { ["type"] = "string" },
                ["description"] = "Labels the pod must carry with these values.",
                ["type"] = "object",
            },
        },
        ["type"] = "object",
        ["x-kubernetes-map-type"] = "atomic",
    };

    /// <summary>metav1.Condition, with the bounds the API server's own CRDs declare.</summary>
    public static JsonObject Condition() => new()
    {
        ["properties"] = new JsonObject
        {
            ["lastTransitionTime"] = new JsonObject { ["format"] = "date-time", ["type"] = "string" },
            ["message"] = new JsonObject { ["maxLength"] = 32768, ["type"] = "string" },
            ["observedGeneration"] = new JsonObject { ["format"] = "int64", ["minimum"] = 0, ["type"] = "integer" },
            ["reason"] = new JsonObject
            {
                ["maxLength"] = 1024,
                ["minLength"] = 1,
                ["pattern"] = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                ["type"] = "string",
            },
            ["status"] = new JsonObject { ["enum"] = new JsonArray("True", "False", "Unknown"), ["type"] = "string" },
            ["type"] = new JsonObject
            {
                ["maxLength"] = 316,
                ["pattern"] = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                ["type"] = "string",
            },
        },
        ["required"] = new JsonArray("lastTransitionTime", "message", "reason", "status", "type"),
        ["type"] = "object",
    };
}
