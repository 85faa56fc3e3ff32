using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>The checks a write must pass, each failure a 422 Invalid worded as kube-apiserver words it.</summary>
internal static partial class ObjectValidation
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    /// <summary><c>metadata.name</c>: an RFC 1123 label for a namespace, anything for an event, an RFC 1123 subdomain otherwise.</summary>
    public static void ValidateName(ResourceType type, string name)
    {
        if (type.IsCore("namespaces"))
        {
            if (name.Length > 63 || !Label().IsMatch(name))
            {
                throw ApiException.Invalid(type.Kind, type.Group, name,
                [
                    FieldError.Invalid("metadata.name", $"\"{name}\"", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
                ]);
            }
            return;
        }
        if (type.Group == "" && type.Plural == "events")
        {
            return; // events are named <object>.<hex>, any path segment name is allowed
        }
        if (name.Length > 253 || !Subdomain().IsMatch(name))
        {
            throw ApiException.Invalid(type.Kind, type.Group, name,
            [
                FieldError.Invalid("metadata.name", $"\"{name}\"", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
            ]);
        }
    }

    /// <summary>What an update may not change: a pod's immutable spec fields, a CRD's scope.</summary>
    public static void ValidateUpdate(ResourceType type, JsonObject obj, JsonObject old)
    {
        if (type.IsCore("pods"))
        {
            var error = PodDefaults.ValidateSpecUpdate(old["spec"] as JsonObject, obj["spec"] as JsonObject);
            if (error is not null)
            {
                throw ApiException.Invalid(type.Kind, type.Group, ObjectMeta.Str(obj, "name"), [error]);
            }
        }
        if (type.Group == "apiextensions.k8s.io")
        {
            var oldScope = (string?)old["spec"]?["scope"];
            var newScope = (string?)obj["spec"]?["scope"];
            if (oldScope != newScope)
            {
                throw ApiException.Invalid(type.Kind, type.Group, ObjectMeta.Str(obj, "name"), [FieldError.Immutable("spec.scope", $"\"{newScope}\"")]);
            }
        }
    }

    /// <summary>Built-in checks, and for custom resources the CRD's structural schema: defaults, pruning, validation, CEL rules.</summary>
    public static void Validate(ClusterStore store, ResourceType type, JsonObject obj, JsonObject? old, string? fieldValidation)
    {
        var name = ObjectMeta.Str(obj, "name");
        if (type.IsCore("pods"))
        {
            var errors = PodDefaults.Validate(obj);
            if (errors.Count > 0)
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, errors);
            }
        }
        else if (type.Group == "apiextensions.k8s.io")
        {
            var errors = CrdValidation.Validate(obj);
            if (errors.Count > 0)
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, errors);
            }
            if (old is null && store.Types.Values.Any(t => !t.IsCustom && t.Group == (string?)obj["spec"]?["group"] && t.Plural == (string?)obj["spec"]?["names"]?["plural"]))
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, [FieldError.Invalid("spec.names.plural", "", "conflicts with a built-in resource")]);
            }
        }
        else if (type.IsCustom && type.Schema is not null)
        {
            CustomResourceValidation.Validate(type, obj, old, name, fieldValidation);
        }
    }
}
