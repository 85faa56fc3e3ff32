using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GridGame.LocalCluster.Schema;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>Options of a delete: propagation, grace period and preconditions (from the body or the query).</summary>
internal sealed record DeleteOptions(string? PropagationPolicy, long? GracePeriodSeconds, string? PreconditionUid, string? PreconditionResourceVersion, bool DryRun = false);

/// <summary>
/// The API server's write semantics over the store: create/update/delete with metadata rules, status subresource
/// strategy, finalizers, graceful pod deletion, ownerReference garbage collection and namespace/CRD cleanup. Every
/// operation runs under the store's lock, so a compound operation is atomic.
/// </summary>
internal sealed partial class ResourceOperations(ClusterStore store, TimeProvider time)
{
    private const string GenerateNameChars = "bcdfghjklmnpqrstvwxz2456789";
    private const string ForegroundFinalizer = "foregroundDeletion";
    private const string OrphanFinalizer = "orphan";
    private const string CrdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public ClusterStore Store => store;

    public string Now() => ObjectMeta.Timestamp(time.GetUtcNow());

    public StoredObject Create(ResourceType type, string? ns, JsonObject obj, string? fieldValidation = null)
    {
        lock (store.Gate)
        {
            (type, obj) = ToStorage(type, obj);
            obj["apiVersion"] = type.ApiVersion;
            obj["kind"] = type.Kind;
            var meta = ObjectMeta.Meta(obj);
            CheckNamespace(type, ns, meta);
            var name = (string?)meta["name"] ?? "";
            var generateName = (string?)meta["generateName"] ?? "";
            if (name.Length == 0 && generateName.Length > 0)
            {
                do
                {
                    name = generateName + string.Concat(Enumerable.Range(0, 5).Select(_ => GenerateNameChars[Random.Shared.Next(GenerateNameChars.Length)]));
                }
                while (store.Get(type.StorageKey, (string?)meta["namespace"] ?? "", name) is not null);
                meta["name"] = name;
            }
            if (name.Length == 0)
            {
                throw ApiException.Invalid(type.Kind, type.Group, "", [FieldError.Required("metadata.name", "name or generateName is required")]);
            }
            if (!string.IsNullOrEmpty((string?)meta["resourceVersion"]))
            {
                throw ApiException.Internal("resourceVersion should not be set on objects to be created");
            }
            ValidateName(type, name);
            if (type.Namespaced)
            {
                var nsObject = store.Get("/namespaces", "", ns!) ?? throw ApiException.NotFound("namespaces", "", ns!);
                if (ObjectMeta.IsDeleting(nsObject.Object))
                {
                    throw ApiException.Forbidden(type.Plural, type.Group, name, $"unable to create new content in namespace {ns} because it is being terminated");
                }
            }
            if (type.IsCustom && IsCrdTerminating(type))
            {
                throw ApiException.MethodNotAllowed($"create not allowed while custom resource definition is terminating");
            }
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            meta.Remove("managedFields");
            if (type.HasGeneration)
            {
                meta["generation"] = 1;
            }
            else
            {
                meta.Remove("generation");
            }
            PrepareForCreate(type, obj);
            Validate(type, obj, null, fieldValidation);
            if (store.Get(type.StorageKey, (string?)meta["namespace"] ?? "", name) is not null)
            {
                throw ApiException.AlreadyExists(type.Plural, type.Group, name);
            }
            return Commit(type, obj);
        }
    }

    public StoredObject Get(ResourceType type, string? ns, string name) =>
        store.Get(type.StorageKey, ns ?? "", name) ?? throw ApiException.NotFound(type.Plural, type.Group, name);

    /// <summary>PUT (and the write half of every patch). <paramref name="subresource"/> is null or "status".</summary>
    public StoredObject Update(ResourceType type, string? ns, string name, JsonObject obj, string? subresource, bool fromPatch = false, string? fieldValidation = null)
    {
        lock (store.Gate)
        {
            (type, obj) = ToStorage(type, obj);
            var current = Get(type, ns, name);
            obj["apiVersion"] = type.ApiVersion;
            obj["kind"] = type.Kind;
            var meta = ObjectMeta.Meta(obj);
            var bodyName = (string?)meta["name"] ?? "";
            if (bodyName.Length > 0 && bodyName != name)
            {
                throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }
            meta["name"] = name;
            CheckNamespace(type, ns, meta);
            var rv = (string?)meta["resourceVersion"] ?? "";
            if (rv.Length == 0)
            {
                if (!type.AllowUnconditionalUpdate && !fromPatch)
                {
                    throw ApiException.Invalid(type.Kind, type.Group, name, [FieldError.Invalid("metadata.resourceVersion", "0x0", "must be specified for an update")]);
                }
                meta["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            }
            else if (ObjectMeta.ParseResourceVersion(rv) != current.ResourceVersion)
            {
                throw ApiException.StaleConflict(type.Plural, type.Group, name);
            }
            var old = current.Object;
            var oldMeta = ObjectMeta.Meta(old);
            var uid = (string?)meta["uid"] ?? "";
            if (uid.Length > 0 && uid != (string?)oldMeta["uid"])
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, [FieldError.Immutable("metadata.uid", $"\"{uid}\"")]);
            }
            meta["uid"] = oldMeta["uid"]?.DeepClone();
            meta["creationTimestamp"] = oldMeta["creationTimestamp"]?.DeepClone();
            CopyOrRemove(oldMeta, meta, "deletionTimestamp");
            CopyOrRemove(oldMeta, meta, "deletionGracePeriodSeconds");
            CopyOrRemove(oldMeta, meta, "generation");
            if (type.Namespaced)
            {
                meta["namespace"] = oldMeta["namespace"]?.DeepClone();
            }

            obj = ApplyStatusStrategy(type, obj, old, subresource);
            meta = ObjectMeta.Meta(obj);
            if (ObjectMeta.IsDeleting(old))
            {
                var added = ObjectMeta.Finalizers(obj).Except(ObjectMeta.Finalizers(old)).ToList();
                if (added.Count > 0)
                {
                    throw ApiException.Invalid(type.Kind, type.Group, name,
                    [
                        FieldError.Forbidden("metadata.finalizers", $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}"),
                    ]);
                }
            }
            if (subresource is null)
            {
                ValidateUpdate(type, obj, old);
            }
            if (type.HasGeneration && !ObjectMeta.SameSpecPart(obj, old))
            {
                meta["generation"] = (JsonNumber.Long(oldMeta["generation"]) ?? 0) + 1;
            }
            Validate(type, obj, old, fieldValidation);
            meta["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            if (JsonNode.DeepEquals(obj, old))
            {
                return current; // a no-op update writes nothing and bumps nothing, as etcd3's GuaranteedUpdate
            }
            if (ObjectMeta.IsDeleting(obj) && ObjectMeta.Finalizers(obj).Count == 0 && !IsGracefulPodPending(type, obj))
            {
                return RemoveNow(type, obj);
            }
            return Commit(type, obj);
        }
    }

    /// <summary>DELETE: returns the object's state afterwards and whether it is gone.</summary>
    public (StoredObject Object, bool Deleted) Delete(ResourceType type, string? ns, string name, DeleteOptions options)
    {
        lock (store.Gate)
        {
            var current = Get(type, ns, name);
            var obj = current.Clone();
            var meta = ObjectMeta.Meta(obj);
            if (options.PreconditionUid is { Length: > 0 } puid && puid != (string?)meta["uid"])
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, $"Precondition failed: UID in precondition: {puid}, UID in object meta: {(string?)meta["uid"]}");
            }
            if (options.PreconditionResourceVersion is { Length: > 0 } prv && prv != (string?)meta["resourceVersion"])
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {(string?)meta["resourceVersion"]}");
            }
            var policy = options.PropagationPolicy ?? "Background";
            if (policy is not ("Background" or "Foreground" or "Orphan"))
            {
                throw ApiException.Invalid("DeleteOptions", "", "", [new FieldError("propagationPolicy", "FieldValueNotSupported", $"Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\"")]);
            }
            var finalizers = ObjectMeta.Finalizers(obj);
            var wasDeleting = ObjectMeta.IsDeleting(obj);
            if (policy == "Foreground" && !finalizers.Contains(ForegroundFinalizer) && HasDependents((string?)meta["uid"]))
            {
                finalizers.Add(ForegroundFinalizer);
            }
            if (policy == "Orphan" && !finalizers.Contains(OrphanFinalizer))
            {
                finalizers.Add(OrphanFinalizer);
            }
            if (type.IsCore("namespaces") && !_dryRun)
            {
                return (DeleteNamespace(type, obj, wasDeleting), false);
            }
            if (type.Group == "apiextensions.k8s.io" && !finalizers.Contains(CrdCleanupFinalizer) && HasCustomResources(obj))
            {
                finalizers.Add(CrdCleanupFinalizer);
            }
            ObjectMeta.SetFinalizers(obj, finalizers);

            var graceful = GracePeriod(type, obj, options);
            if (finalizers.Count == 0 && graceful == 0)
            {
                return (RemoveNow(type, obj), true);
            }
            if (!wasDeleting)
            {
                var now = time.GetUtcNow();
                meta["deletionTimestamp"] = ObjectMeta.Timestamp(now.AddSeconds(graceful));
                meta["deletionGracePeriodSeconds"] = graceful;
            }
            else if (graceful == 0 && JsonNumber.Long(meta["deletionGracePeriodSeconds"]) != 0)
            {
                meta["deletionGracePeriodSeconds"] = 0;
            }
            var stored = Commit(type, obj);
            var uid = (string?)meta["uid"] ?? "";
            if (_dryRun)
            {
                return (stored, false);
            }
            if (finalizers.Contains(OrphanFinalizer))
            {
                OrphanDependents(uid);
                stored = RemoveFinalizer(type, stored, OrphanFinalizer);
            }
            if (finalizers.Contains(ForegroundFinalizer))
            {
                DeleteDependents(uid, "Background");
                stored = store.Get(type.StorageKey, stored.Namespace, stored.Name) is { } s && ((string?)ObjectMeta.Meta(s.Object)["uid"]) == uid ? CompleteForeground(type, s) : stored;
            }
            if (finalizers.Contains(CrdCleanupFinalizer))
            {
                stored = CleanUpCustomResources(type, stored);
            }
            var gone = store.Get(type.StorageKey, stored.Namespace, stored.Name) is not { } still || (string?)ObjectMeta.Meta(still.Object)["uid"] != uid;
            return (stored, gone);
        }
    }

    /// <summary>The Binding subresource: what the scheduler posts to put a pod on a node.</summary>
    public StoredObject Bind(ResourceType type, string ns, string name, JsonObject binding)
    {
        lock (store.Gate)
        {
            var current = Get(type, ns, name);
            var target = binding["target"] as JsonObject;
            var node = (string?)target?["name"] ?? "";
            if (node.Length == 0)
            {
                throw ApiException.Invalid("Binding", "", name, [FieldError.Required("target.name", "")]);
            }
            var pod = current.Clone();
            if (ObjectMeta.IsDeleting(pod))
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, "pod is being deleted, cannot be assigned to a host");
            }
            var spec = pod["spec"] as JsonObject ?? [];
            pod["spec"] = spec;
            var existing = (string?)spec["nodeName"] ?? "";
            if (existing.Length > 0)
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, $"pod {name} is already assigned to node \"{existing}\"");
            }
            spec["nodeName"] = node;
            var status = pod["status"] as JsonObject ?? [];
            pod["status"] = status;
            var conditions = status["conditions"] as JsonArray ?? [];
            status["conditions"] = conditions;
            for (var i = conditions.Count - 1; i >= 0; i--)
            {
                if ((string?)conditions[i]?["type"] == "PodScheduled")
                {
                    conditions.RemoveAt(i);
                }
            }
            conditions.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = Now() });
            return store.Put(type, pod);
        }
    }

    /// <summary>A converted type writes through the type that owns its storage, in that type's form.</summary>
    private (ResourceType Type, JsonObject Obj) ToStorage(ResourceType type, JsonObject obj) =>
        type.Conversion is null ? (type, obj) : (store.FindTypeByStorageKey(type.StorageKey)!, type.Conversion.ToStorage(obj));

    private static void CopyOrRemove(JsonObject from, JsonObject to, string field)
    {
        if (from[field] is { } v)
        {
            to[field] = v.DeepClone();
        }
        else
        {
            to.Remove(field);
        }
    }

    private static void CheckNamespace(ResourceType type, string? ns, JsonObject meta)
    {
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }
        var bodyNs = (string?)meta["namespace"] ?? "";
        if (bodyNs.Length > 0 && bodyNs != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        meta["namespace"] = ns;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    private static void ValidateName(ResourceType type, string name)
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

    private void PrepareForCreate(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom && type.HasStatus)
        {
            obj.Remove("status"); // create cannot set status when the status subresource is on
        }
        if (type.IsCore("namespaces"))
        {
            obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (type.IsCore("pods"))
        {
            PodDefaults.Apply(obj);
        }
        else if (type.IsCore("secrets") && string.IsNullOrEmpty((string?)obj["type"]))
        {
            obj["type"] = "Opaque";
        }
        else if (type.Group == "apiextensions.k8s.io")
        {
            ObjectMeta.Meta(obj).Remove("finalizers");
            obj["status"] = CrdStatus(obj);
        }
    }

    private JsonObject CrdStatus(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var storage = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(v => (bool?)v["storage"] == true);
        var now = Now();
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" }),
            ["acceptedNames"] = spec?["names"]?.DeepClone(),
            ["storedVersions"] = new JsonArray((string?)storage?["name"] ?? "v1"),
        };
    }

    private static JsonObject ApplyStatusStrategy(ResourceType type, JsonObject obj, JsonObject old, string? subresource)
    {
        if (!type.HasStatus)
        {
            return obj;
        }
        if (subresource == "status")
        {
            if (type.IsCustom || type.Group == "apiextensions.k8s.io")
            {
                var result = (JsonObject)old.DeepClone();
                var meta = ObjectMeta.Meta(result);
                meta["resourceVersion"] = ObjectMeta.Meta(obj)["resourceVersion"]?.DeepClone();
                if (obj["status"] is { } status)
                {
                    result["status"] = status.DeepClone();
                }
                else
                {
                    result.Remove("status");
                }
                return result;
            }
            // Built-ins: /status may not touch the spec or the owner references.
            if (old["spec"] is { } spec)
            {
                obj["spec"] = spec.DeepClone();
            }
            else
            {
                obj.Remove("spec");
            }
            CopyOrRemove(ObjectMeta.Meta(old), ObjectMeta.Meta(obj), "ownerReferences");
            return obj;
        }
        if (type.Group == "apiextensions.k8s.io")
        {
            // The CRD status is the server's: accepted names follow the spec.
            obj["status"] = old["status"]?.DeepClone();
            if (obj["status"] is JsonObject s)
            {
                s["acceptedNames"] = (obj["spec"] as JsonObject)?["names"]?.DeepClone();
            }
            return obj;
        }
        if (old["status"] is { } oldStatus)
        {
            obj["status"] = oldStatus.DeepClone();
        }
        else
        {
            obj.Remove("status");
        }
        return obj;
    }

    private static void ValidateUpdate(ResourceType type, JsonObject obj, JsonObject old)
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
    private void Validate(ResourceType type, JsonObject obj, JsonObject? old, string? fieldValidation)
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
            ValidateCustom(type, obj, old, name, fieldValidation);
        }
    }

    /// <summary>
    /// Each CRD version's schema without its metadata property, made once per schema rather than deep-copied on
    /// every write (it was the largest allocation of a custom resource write). Pruning, defaulting and validation
    /// only read it, and they run under the store's lock, so one copy is shared.
    /// </summary>
    private static readonly ConditionalWeakTable<JsonObject, JsonObject> BodySchemas = new();

    private static JsonObject BodySchema(JsonObject schema)
    {
        var copy = (JsonObject)schema.DeepClone();
        if (copy["properties"] is JsonObject props)
        {
            props.Remove("metadata");
        }
        return copy;
    }

    private static void ValidateCustom(ResourceType type, JsonObject obj, JsonObject? old, string name, string? fieldValidation)
    {
        // The schema covers the whole object; metadata is the server's, so it is kept aside from pruning.
        var metadata = obj["metadata"];
        obj.Remove("metadata");
        var body = new JsonObject();
        foreach (var key in obj.Select(kv => kv.Key).ToList())
        {
            var v = obj[key];
            obj.Remove(key);
            body[key] = v;
        }
        var schema = BodySchemas.GetValue(type.Schema!, BodySchema);
        var beforePruning = fieldValidation == "Strict" ? (JsonObject)body.DeepClone() : null;
        StructuralSchema.Prune(schema, body);
        if (beforePruning is not null)
        {
            var unknown = new List<string>();
            PrunedFields(beforePruning, body, "", unknown);
            if (unknown.Count > 0)
            {
                throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
            }
        }
        StructuralSchema.ApplyDefaults(schema, body);
        var errors = StructuralSchema.Validate(schema, body);
        if (type.Scale is { } scale)
        {
            errors = [.. errors, .. ScaleValidation.Validate(body, scale.SpecReplicasPath, scale.StatusReplicasPath, scale.LabelSelectorPath)];
        }
        if (StructuralSchema.HasRules(schema))
        {
            // As the API server's strategy: the rules run only on an object of the right shape, and see the stored
            // object as oldSelf on update.
            errors = StructuralSchema.BlocksRules(errors)
                ? [.. errors, StructuralSchema.RulesNotChecked]
                : [.. errors, .. ValidateRules(schema, body, old, metadata as JsonObject)];
        }
        obj["apiVersion"] = body["apiVersion"]?.DeepClone() ?? type.ApiVersion;
        obj["kind"] = body["kind"]?.DeepClone() ?? type.Kind;
        obj["metadata"] = metadata;
        foreach (var key in body.Select(kv => kv.Key).ToList())
        {
            // Moved, not copied: the body is thrown away.
            var v = body[key];
            body.Remove(key);
            if (key is not ("apiVersion" or "kind"))
            {
                obj[key] = v;
            }
        }
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, errors.Select(e => new FieldError(e.Field, e.Reason, e.Message)).ToList());
        }
    }

    /// <summary>The CEL rules, with the metadata a root rule may read (name and generateName, as upstream) lent to the body.</summary>
    private static IReadOnlyList<SchemaError> ValidateRules(JsonObject schema, JsonObject body, JsonObject? old, JsonObject? metadata)
    {
        var visible = new JsonObject();
        foreach (var key in (string[])["name", "generateName"])
        {
            if (metadata?[key] is { } value)
            {
                visible[key] = value.DeepClone();
            }
        }
        body["metadata"] = visible;
        try
        {
            return StructuralSchema.ValidateRules(schema, body, old);
        }
        finally
        {
            body.Remove("metadata");
        }
    }

    /// <summary>Paths present before pruning and gone after: the unknown fields strict validation reports.</summary>
    private static void PrunedFields(JsonNode? before, JsonNode? after, string path, List<string> unknown)
    {
        if (before is JsonObject b)
        {
            var a = after as JsonObject;
            foreach (var (key, value) in b)
            {
                var child = path.Length == 0 ? key : path + "." + key;
                if (a is null || !a.TryGetPropertyValue(key, out var kept))
                {
                    unknown.Add(child);
                }
                else
                {
                    PrunedFields(value, kept, child, unknown);
                }
            }
        }
        else if (before is JsonArray ba && after is JsonArray aa)
        {
            for (var i = 0; i < ba.Count && i < aa.Count; i++)
            {
                PrunedFields(ba[i], aa[i], $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", unknown);
            }
        }
    }

    private static long GracePeriod(ResourceType type, JsonObject obj, DeleteOptions options)
    {
        if (!type.IsCore("pods"))
        {
            return 0;
        }
        var spec = obj["spec"] as JsonObject;
        var phase = (string?)obj["status"]?["phase"];
        if (string.IsNullOrEmpty((string?)spec?["nodeName"]) || phase is "Succeeded" or "Failed")
        {
            return 0; // never scheduled or already terminal: nothing to stop, deleted at once
        }
        var existing = JsonNumber.Long(ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"]);
        var grace = options.GracePeriodSeconds ?? existing ?? JsonNumber.Long(spec?["terminationGracePeriodSeconds"]) ?? 30;
        if (existing is { } e && grace > e)
        {
            grace = e; // a grace period can only be shortened
        }
        return Math.Max(grace, 0);
    }

    private static bool IsGracefulPodPending(ResourceType type, JsonObject obj) =>
        type.IsCore("pods") && JsonNumber.Long(ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"]) is > 0 && !string.IsNullOrEmpty((string?)obj["spec"]?["nodeName"]);

    /// <summary>Runs an operation as a dry run (<c>dryRun=All</c>): every check is made, nothing is stored.</summary>
    public T Run<T>(bool dryRun, Func<T> operation)
    {
        lock (store.Gate)
        {
            _dryRun = dryRun;
            try
            {
                return operation();
            }
            finally
            {
                _dryRun = false;
            }
        }
    }

    private bool _dryRun;

    private StoredObject Commit(ResourceType type, JsonObject obj)
    {
        if (!_dryRun)
        {
            return store.Put(type, obj);
        }
        var current = store.Get(type.StorageKey, type.Namespaced ? ObjectMeta.Str(obj, "namespace") : "", ObjectMeta.Str(obj, "name"));
        var rv = current?.ResourceVersion ?? 0;
        ObjectMeta.Meta(obj)["resourceVersion"] = rv == 0 ? null : rv.ToString(CultureInfo.InvariantCulture);
        return new StoredObject(obj, rv);
    }

    private StoredObject RemoveNow(ResourceType type, JsonObject lastState)
    {
        if (_dryRun)
        {
            return new StoredObject(lastState, store.CurrentResourceVersion);
        }
        var meta = ObjectMeta.Meta(lastState);
        var removed = store.Remove(type, type.Namespaced ? (string?)meta["namespace"] ?? "" : "", (string?)meta["name"] ?? "", lastState);
        if (removed is null)
        {
            return new StoredObject(lastState, store.CurrentResourceVersion); // already gone (removed by a cascade)
        }
        AfterRemoval(type, removed);
        return removed;
    }

    private StoredObject RemoveFinalizer(ResourceType type, StoredObject stored, string finalizer)
    {
        var obj = stored.Clone();
        var finalizers = ObjectMeta.Finalizers(obj);
        if (!finalizers.Remove(finalizer))
        {
            return stored;
        }
        ObjectMeta.SetFinalizers(obj, finalizers);
        if (finalizers.Count == 0 && ObjectMeta.IsDeleting(obj) && !IsGracefulPodPending(type, obj))
        {
            return RemoveNow(type, obj);
        }
        return store.Put(type, obj);
    }

    /// <summary>What the garbage collector, namespace controller and CRD finalizer do when an object goes.</summary>
    private void AfterRemoval(ResourceType type, StoredObject removed)
    {
        var uid = (string?)ObjectMeta.Meta(removed.Object)["uid"] ?? "";
        DeleteDependents(uid, "Background");
        if (removed.Object["metadata"]?["ownerReferences"] is JsonArray owners)
        {
            foreach (var owner in owners.OfType<JsonObject>())
            {
                var ownerUid = (string?)owner["uid"] ?? "";
                foreach (var (ownerType, ownerObj) in FindByUid(ownerUid))
                {
                    if (ObjectMeta.Finalizers(ownerObj.Object).Contains(ForegroundFinalizer))
                    {
                        CompleteForeground(ownerType, ownerObj);
                    }
                }
            }
        }
        if (type.Namespaced && store.Get("/namespaces", "", removed.Namespace) is { } ns && ObjectMeta.IsDeleting(ns.Object))
        {
            FinishNamespace(ns);
        }
        if (type.IsCustom && store.Types.Values.FirstOrDefault(t => t.StorageKey == "apiextensions.k8s.io/customresourcedefinitions") is { } crdType)
        {
            var crd = store.Get(crdType.StorageKey, "", type.Plural + "." + type.Group);
            if (crd is not null && ObjectMeta.IsDeleting(crd.Object) && store.List(type.StorageKey, null).Items.Count == 0)
            {
                RemoveFinalizer(crdType, crd, CrdCleanupFinalizer);
            }
        }
    }

    private IEnumerable<(ResourceType Type, StoredObject Object)> AllObjects()
    {
        foreach (var key in store.StorageKeys())
        {
            var type = store.FindTypeByStorageKey(key);
            if (type is null)
            {
                continue;
            }
            foreach (var o in store.List(key, null).Items)
            {
                yield return (type, o);
            }
        }
    }

    private List<(ResourceType Type, StoredObject Object)> FindByUid(string uid) =>
        uid.Length > 0 && store.FindByUid(uid) is { } found && store.FindTypeByStorageKey(found.StorageKey) is { } type ? [(type, found.Object)] : [];

    private List<(ResourceType Type, StoredObject Object)> Dependents(string uid) =>
        uid.Length == 0
            ? []
            : store.DependentsOf(uid)
                .Select(d => (Type: store.FindTypeByStorageKey(d.StorageKey), d.Object))
                .Where(d => d.Type is not null)
                .Select(d => (d.Type!, d.Object))
                .ToList();

    private bool HasDependents(string? uid) => uid is not null && Dependents(uid).Count > 0;

    /// <summary>Background GC: a dependent whose owners are all gone is deleted; one with a live owner loses the dangling reference.</summary>
    private void DeleteDependents(string ownerUid, string policy)
    {
        foreach (var (type, dependent) in Dependents(ownerUid))
        {
            var current = store.Get(type.StorageKey, dependent.Namespace, dependent.Name);
            if (current is null || (string?)ObjectMeta.Meta(current.Object)["uid"] != (string?)ObjectMeta.Meta(dependent.Object)["uid"])
            {
                continue;
            }
            var refs = (JsonArray)current.Object["metadata"]!["ownerReferences"]!;
            var liveOwners = refs.OfType<JsonObject>().Where(r => (string?)r["uid"] != ownerUid && FindByUid((string?)r["uid"] ?? "").Any(o => !ObjectMeta.IsDeleting(o.Object.Object))).ToList();
            if (liveOwners.Count > 0)
            {
                var obj = current.Clone();
                ObjectMeta.Meta(obj)["ownerReferences"] = new JsonArray(liveOwners.Select(r => (JsonNode?)r.DeepClone()).ToArray());
                store.Put(type, obj);
                continue;
            }
            if (!ObjectMeta.IsDeleting(current.Object))
            {
                Delete(type, current.Namespace.Length > 0 ? current.Namespace : null, current.Name, new DeleteOptions(policy, null, null, null));
            }
        }
    }

    private void OrphanDependents(string ownerUid)
    {
        foreach (var (type, dependent) in Dependents(ownerUid))
        {
            var obj = dependent.Clone();
            var refs = (JsonArray)obj["metadata"]!["ownerReferences"]!;
            var kept = refs.Where(r => (string?)r?["uid"] != ownerUid).Select(r => r?.DeepClone()).ToArray();
            if (kept.Length == 0)
            {
                ObjectMeta.Meta(obj).Remove("ownerReferences");
            }
            else
            {
                ObjectMeta.Meta(obj)["ownerReferences"] = new JsonArray(kept);
            }
            store.Put(type, obj);
        }
    }

    /// <summary>Foreground deletion ends when no dependent blocks the owner any more.</summary>
    private StoredObject CompleteForeground(ResourceType type, StoredObject owner)
    {
        var uid = (string?)ObjectMeta.Meta(owner.Object)["uid"] ?? "";
        return Dependents(uid).Count > 0 ? owner : RemoveFinalizer(type, owner, ForegroundFinalizer);
    }

    private StoredObject DeleteNamespace(ResourceType type, JsonObject obj, bool wasDeleting)
    {
        var stored = store.Get(type.StorageKey, "", ObjectMeta.Str(obj, "name"))!;
        if (!wasDeleting)
        {
            ObjectMeta.Meta(obj)["deletionTimestamp"] = Now();
            ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"] = 0;
            obj["status"] = new JsonObject { ["phase"] = "Terminating" };
            stored = store.Put(type, obj);
        }
        var ns = stored.Name;
        foreach (var (t, o) in AllObjects().Where(x => x.Type.Namespaced && x.Object.Namespace == ns).ToList())
        {
            if (store.Get(t.StorageKey, ns, o.Name) is { } live && !ObjectMeta.IsDeleting(live.Object))
            {
                Delete(t, ns, o.Name, new DeleteOptions("Background", null, null, null));
            }
        }
        var current = store.Get(type.StorageKey, "", ns);
        return current is null ? stored : FinishNamespace(current);
    }

    private StoredObject FinishNamespace(StoredObject ns)
    {
        if (AllObjects().Any(x => x.Type.Namespaced && x.Object.Namespace == ns.Name))
        {
            return ns;
        }
        var type = store.FindTypeByStorageKey("/namespaces")!;
        var obj = ns.Clone();
        obj["spec"] = new JsonObject();
        return RemoveNow(type, obj);
    }

    private bool HasCustomResources(JsonObject crd)
    {
        var group = (string?)crd["spec"]?["group"] ?? "";
        var plural = (string?)crd["spec"]?["names"]?["plural"] ?? "";
        return store.List(group + "/" + plural, null).Items.Count > 0;
    }

    private bool IsCrdTerminating(ResourceType type)
    {
        var crd = store.Get("apiextensions.k8s.io/customresourcedefinitions", "", type.Plural + "." + type.Group);
        return crd is not null && ObjectMeta.IsDeleting(crd.Object);
    }

    private StoredObject CleanUpCustomResources(ResourceType crdType, StoredObject crd)
    {
        var group = (string?)crd.Object["spec"]?["group"] ?? "";
        var plural = (string?)crd.Object["spec"]?["names"]?["plural"] ?? "";
        var storageKey = group + "/" + plural;
        var crType = store.FindTypeByStorageKey(storageKey);
        if (crType is not null)
        {
            foreach (var o in store.List(storageKey, null).Items)
            {
                if (!ObjectMeta.IsDeleting(o.Object))
                {
                    Delete(crType, o.Namespace.Length > 0 ? o.Namespace : null, o.Name, new DeleteOptions("Background", null, null, null));
                }
            }
        }
        var current = store.Get(crdType.StorageKey, "", crd.Name);
        if (current is not null && store.List(storageKey, null).Items.Count == 0)
        {
            return RemoveFinalizer(crdType, current, CrdCleanupFinalizer);
        }
        return current ?? crd;
    }
}
