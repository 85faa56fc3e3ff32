using System.Globalization;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// The API server's write semantics over the store: create/update/delete with metadata rules, finalizers and dry
/// runs. Strategies, validation, garbage collection and namespace/CRD cleanup are their own classes, called from here.
/// Every operation runs under the store's lock, so a compound operation (a cascade) is atomic.
/// </summary>
internal sealed class ResourceOperations
{
    private const string GenerateNameChars = "bcdfghjklmnpqrstvwxz2456789";

    private readonly ClusterStore _store;
    private readonly TimeProvider _time;
    private readonly GarbageCollector _garbage;
    private readonly NamespaceFinalizer _namespaces;
    private readonly CrdFinalizer _crds;
    private bool _dryRun;

    public ResourceOperations(ClusterStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        _garbage = new GarbageCollector(store, this);
        _namespaces = new NamespaceFinalizer(store, this);
        _crds = new CrdFinalizer(store, this);
    }

    public ClusterStore Store => _store;

    public string Now() => ObjectMeta.Timestamp(_time.GetUtcNow());

    public StoredObject Create(ResourceType type, string? ns, JsonObject obj, string? fieldValidation = null)
    {
        lock (_store.Gate)
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
                while (_store.Get(type.StorageKey, (string?)meta["namespace"] ?? "", name) is not null);
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
            ObjectValidation.ValidateName(type, name);
            if (type.Namespaced)
            {
                var nsObject = _store.Get("/namespaces", "", ns!) ?? throw ApiException.NotFound("namespaces", "", ns!);
                if (ObjectMeta.IsDeleting(nsObject.Object))
                {
                    throw ApiException.Forbidden(type.Plural, type.Group, name, $"unable to create new content in namespace {ns} because it is being terminated");
                }
            }
            if (type.IsCustom && _crds.IsTerminating(type))
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
            CreateStrategy.Prepare(type, obj, _time);
            ObjectValidation.Validate(_store, type, obj, null, fieldValidation);
            if (_store.Get(type.StorageKey, (string?)meta["namespace"] ?? "", name) is not null)
            {
                throw ApiException.AlreadyExists(type.Plural, type.Group, name);
            }
            return Commit(type, obj);
        }
    }

    public StoredObject Get(ResourceType type, string? ns, string name) =>
        _store.Get(type.StorageKey, ns ?? "", name) ?? throw ApiException.NotFound(type.Plural, type.Group, name);

    /// <summary>PUT (and the write half of every patch). <paramref name="subresource"/> is null or "status".</summary>
    public StoredObject Update(ResourceType type, string? ns, string name, JsonObject obj, string? subresource, bool fromPatch = false, string? fieldValidation = null)
    {
        lock (_store.Gate)
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
            ObjectMeta.CopyOrRemove(oldMeta, meta, "deletionTimestamp");
            ObjectMeta.CopyOrRemove(oldMeta, meta, "deletionGracePeriodSeconds");
            ObjectMeta.CopyOrRemove(oldMeta, meta, "generation");
            if (type.Namespaced)
            {
                meta["namespace"] = oldMeta["namespace"]?.DeepClone();
            }

            obj = StatusStrategy.Apply(type, obj, old, subresource);
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
                ObjectValidation.ValidateUpdate(type, obj, old);
            }
            if (type.HasGeneration && !ObjectMeta.SameSpecPart(obj, old))
            {
                meta["generation"] = (JsonNumber.Long(oldMeta["generation"]) ?? 0) + 1;
            }
            ObjectValidation.Validate(_store, type, obj, old, fieldValidation);
            meta["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            if (JsonNode.DeepEquals(obj, old))
            {
                return current; // a no-op update writes nothing and bumps nothing, as etcd3's GuaranteedUpdate
            }
            if (ObjectMeta.IsDeleting(obj) && ObjectMeta.Finalizers(obj).Count == 0 && !PodGracePeriod.IsPending(type, obj))
            {
                return RemoveNow(type, obj);
            }
            return Commit(type, obj);
        }
    }

    /// <summary>DELETE: returns the object's state afterwards and whether it is gone.</summary>
    public (StoredObject Object, bool Deleted) Delete(ResourceType type, string? ns, string name, DeleteOptions options)
    {
        lock (_store.Gate)
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
            if (policy == "Foreground" && !finalizers.Contains(GarbageCollector.ForegroundFinalizer) && _garbage.HasDependents((string?)meta["uid"]))
            {
                finalizers.Add(GarbageCollector.ForegroundFinalizer);
            }
            if (policy == "Orphan" && !finalizers.Contains(GarbageCollector.OrphanFinalizer))
            {
                finalizers.Add(GarbageCollector.OrphanFinalizer);
            }
            if (type.IsCore("namespaces") && !_dryRun)
            {
                return (_namespaces.Delete(type, obj, wasDeleting), false);
            }
            if (type.Group == "apiextensions.k8s.io" && !finalizers.Contains(CrdFinalizer.CleanupFinalizer) && _crds.HasCustomResources(obj))
            {
                finalizers.Add(CrdFinalizer.CleanupFinalizer);
            }
            ObjectMeta.SetFinalizers(obj, finalizers);

            var graceful = PodGracePeriod.Of(type, obj, options);
            if (finalizers.Count == 0 && graceful == 0)
            {
                return (RemoveNow(type, obj), true);
            }
            if (!wasDeleting)
            {
                var now = _time.GetUtcNow();
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
            if (finalizers.Contains(GarbageCollector.OrphanFinalizer))
            {
                _garbage.OrphanDependents(uid);
                stored = RemoveFinalizer(type, stored, GarbageCollector.OrphanFinalizer);
            }
            if (finalizers.Contains(GarbageCollector.ForegroundFinalizer))
            {
                _garbage.DeleteDependents(uid, "Background");
                stored = _store.Get(type.StorageKey, stored.Namespace, stored.Name) is { } s && ((string?)ObjectMeta.Meta(s.Object)["uid"]) == uid ? _garbage.CompleteForeground(type, s) : stored;
            }
            if (finalizers.Contains(CrdFinalizer.CleanupFinalizer))
            {
                stored = _crds.CleanUp(type, stored);
            }
            var gone = _store.Get(type.StorageKey, stored.Namespace, stored.Name) is not { } still || (string?)ObjectMeta.Meta(still.Object)["uid"] != uid;
            return (stored, gone);
        }
    }

    /// <summary>Runs an operation as a dry run (<c>dryRun=All</c>): every check is made, nothing is stored.</summary>
    public T Run<T>(bool dryRun, Func<T> operation)
    {
        lock (_store.Gate)
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

    private StoredObject Commit(ResourceType type, JsonObject obj)
    {
        if (!_dryRun)
        {
            return _store.Put(type, obj);
        }
        var current = _store.Get(type.StorageKey, type.Namespaced ? ObjectMeta.Str(obj, "namespace") : "", ObjectMeta.Str(obj, "name"));
        var rv = current?.ResourceVersion ?? 0;
        ObjectMeta.Meta(obj)["resourceVersion"] = rv == 0 ? null : rv.ToString(CultureInfo.InvariantCulture);
        return new StoredObject(obj, rv);
    }

    /// <summary>Removes an object whose last finalizer has gone, then runs what its removal sets off (dependents, namespace, CRD).</summary>
    public StoredObject RemoveNow(ResourceType type, JsonObject lastState)
    {
        if (_dryRun)
        {
            return new StoredObject(lastState, _store.CurrentResourceVersion);
        }
        var meta = ObjectMeta.Meta(lastState);
        var removed = _store.Remove(type, type.Namespaced ? (string?)meta["namespace"] ?? "" : "", (string?)meta["name"] ?? "", lastState);
        if (removed is null)
        {
            return new StoredObject(lastState, _store.CurrentResourceVersion); // already gone (removed by a cascade)
        }
        AfterRemoval(type, removed);
        return removed;
    }

    /// <summary>Takes one finalizer off; an object being deleted goes with its last one.</summary>
    public StoredObject RemoveFinalizer(ResourceType type, StoredObject stored, string finalizer)
    {
        var obj = stored.Clone();
        var finalizers = ObjectMeta.Finalizers(obj);
        if (!finalizers.Remove(finalizer))
        {
            return stored;
        }
        ObjectMeta.SetFinalizers(obj, finalizers);
        if (finalizers.Count == 0 && ObjectMeta.IsDeleting(obj) && !PodGracePeriod.IsPending(type, obj))
        {
            return RemoveNow(type, obj);
        }
        return _store.Put(type, obj);
    }

    /// <summary>A converted type writes through the type that owns its storage, in that type's form.</summary>
    private (ResourceType Type, JsonObject Obj) ToStorage(ResourceType type, JsonObject obj) =>
        type.Conversion is null ? (type, obj) : (_store.FindTypeByStorageKey(type.StorageKey)!, type.Conversion.ToStorage(obj));

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

    /// <summary>What the garbage collector, namespace controller and CRD finalizer do when an object goes.</summary>
    private void AfterRemoval(ResourceType type, StoredObject removed)
    {
        _garbage.AfterRemoval(removed);
        _namespaces.AfterRemoval(type, removed);
        _crds.AfterRemoval(type);
    }
}
