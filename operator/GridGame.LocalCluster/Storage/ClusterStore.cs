using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster;

/// <summary>
/// The state of a LocalCluster: every object as JSON under one global resourceVersion, the watch history and the
/// resource types (built-in and CRD-defined). Outlives a <see cref="LocalApiServer"/>, so a test can restart the server
/// over the same store, as a real API server restarts over the same etcd.
/// </summary>
public sealed class ClusterStore
{
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);
    private readonly WatchEvent?[] _history;
    private int _historyStart;
    private int _historyCount;
    private long _resourceVersion;
    private long _historyFloor;
    private Dictionary<string, ResourceType> _types = new(StringComparer.Ordinal);

    // Indexes for the garbage collector: object by uid, and the objects that name an owner uid.
    private readonly Dictionary<string, (string StorageKey, string Key)> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<(string StorageKey, string Key)>> _dependents = new(StringComparer.Ordinal);

    /// <summary>Creates an empty store that retains <paramref name="watchHistory"/> events for watches from a resourceVersion.</summary>
    public ClusterStore(int watchHistory = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(watchHistory, 1);
        _history = new WatchEvent?[watchHistory];
        RebuildTypes();
    }

    /// <summary>The current (highest) resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (Gate)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Every write and every compound read-modify-write holds this lock.</summary>
    internal object Gate { get; } = new();

    internal IReadOnlyDictionary<string, ResourceType> Types => _types;

    internal long CurrentResourceVersion => _resourceVersion;

    /// <summary>The oldest resourceVersion still covered by the watch history (older continue tokens and watches get 410).</summary>
    internal long HistoryFloor
    {
        get
        {
            lock (Gate)
            {
                return _historyFloor;
            }
        }
    }

    internal ResourceType? FindType(string group, string version, string resource)
    {
        var types = _types;
        if (types.TryGetValue(group + "/" + version + "/" + resource, out var t))
        {
            return t;
        }
        return null;
    }

    internal ResourceType? FindTypeByStorageKey(string storageKey, string? preferredVersion = null)
    {
        ResourceType? found = null;
        foreach (var t in _types.Values)
        {
            if (t.StorageKey == storageKey && t.Conversion is null)
            {
                if (preferredVersion is null || t.Version == preferredVersion)
                {
                    return t;
                }
                found ??= t;
            }
        }
        return found;
    }

    internal ResourceType? FindTypeByKind(string apiVersion, string kind)
    {
        foreach (var t in _types.Values)
        {
            if (t.ApiVersion == apiVersion && t.Kind == kind)
            {
                return t;
            }
        }
        return null;
    }

    internal StoredObject? Get(string storageKey, string ns, string name)
    {
        lock (Gate)
        {
            return _data.TryGetValue(storageKey, out var objects) && objects.TryGetValue(ns + "/" + name, out var o) ? o : null;
        }
    }

    /// <summary>A snapshot of one resource's objects (optionally one namespace's), in key order, with the list's resourceVersion.</summary>
    internal (List<StoredObject> Items, long ResourceVersion) List(string storageKey, string? ns, string? startAfterKey = null)
    {
        lock (Gate)
        {
            var items = new List<StoredObject>();
            if (_data.TryGetValue(storageKey, out var objects))
            {
                foreach (var (key, o) in objects)
                {
                    if (ns is not null && o.Namespace != ns)
                    {
                        continue;
                    }
                    if (startAfterKey is not null && string.CompareOrdinal(key, startAfterKey) <= 0)
                    {
                        continue;
                    }
                    items.Add(o);
                }
            }
            return (items, _resourceVersion);
        }
    }

    internal IEnumerable<string> StorageKeys()
    {
        lock (Gate)
        {
            return _data.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key).ToList();
        }
    }

    /// <summary>Stores a new state of an object under the next resourceVersion and tells the watchers.</summary>
    internal StoredObject Put(ResourceType type, JsonObject obj)
    {
        lock (Gate)
        {
            var meta = (JsonObject)obj["metadata"]!;
            var rv = ++_resourceVersion;
            meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var stored = new StoredObject(obj, rv);
            if (!_data.TryGetValue(type.StorageKey, out var objects))
            {
                objects = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
                _data[type.StorageKey] = objects;
            }
            objects.TryGetValue(stored.Key, out var previous);
            objects[stored.Key] = stored;
            Unindex(type.StorageKey, previous);
            Index(type.StorageKey, stored);
            Publish(new WatchEvent(previous is null ? "ADDED" : "MODIFIED", type.StorageKey, stored, previous));
            if (type.Group == "apiextensions.k8s.io")
            {
                RebuildTypes();
            }
            return stored;
        }
    }

    /// <summary>Removes an object; its DELETED event carries the last state stamped with the deletion's resourceVersion.</summary>
    internal StoredObject? Remove(ResourceType type, string ns, string name, JsonObject? lastState = null)
    {
        lock (Gate)
        {
            if (!_data.TryGetValue(type.StorageKey, out var objects) || !objects.Remove(ns + "/" + name, out var previous))
            {
                return null;
            }
            Unindex(type.StorageKey, previous);
            var last = lastState ?? previous.Clone();
            var rv = ++_resourceVersion;
            ((JsonObject)last["metadata"]!)["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var stored = new StoredObject(last, rv);
            Publish(new WatchEvent("DELETED", type.StorageKey, stored, previous));
            if (type.Group == "apiextensions.k8s.io")
            {
                RebuildTypes();
                CloseWatchersOfRemovedTypes();
            }
            return stored;
        }
    }

    /// <summary>
    /// Registers a watcher and returns the retained events after <paramref name="fromResourceVersion"/>, atomically, so
    /// no event is lost or repeated between the backlog and the live stream.
    /// </summary>
    internal Watcher Subscribe(string storageKey, string? ns, long fromResourceVersion, int capacity)
    {
        lock (Gate)
        {
            if (fromResourceVersion < _historyFloor)
            {
                throw ApiException.Gone($"too old resource version: {fromResourceVersion} ({_historyFloor + 1})");
            }
            var backlog = new List<WatchEvent>();
            for (var i = 0; i < _historyCount; i++)
            {
                var e = _history[(_historyStart + i) % _history.Length]!;
                if (e.ResourceVersion > fromResourceVersion && e.StorageKey == storageKey && (ns is null || e.Object.Namespace == ns))
                {
                    backlog.Add(e);
                }
            }
            var watcher = new Watcher(storageKey, ns, Math.Max(capacity, backlog.Count + capacity));
            foreach (var e in backlog)
            {
                watcher.Offer(e);
            }
            if (!_watchers.TryGetValue(storageKey, out var list))
            {
                list = [];
                _watchers[storageKey] = list;
            }
            list.Add(watcher);
            return watcher;
        }
    }

    internal void Unsubscribe(Watcher watcher)
    {
        lock (Gate)
        {
            if (_watchers.TryGetValue(watcher.StorageKey, out var list))
            {
                list.Remove(watcher);
            }
        }
        watcher.Close();
    }

    /// <summary>Forgets the watch history: a watch from any resourceVersion before now gets 410 Expired.</summary>
    internal void CompactHistory()
    {
        lock (Gate)
        {
            Array.Clear(_history);
            _historyStart = 0;
            _historyCount = 0;
            _historyFloor = _resourceVersion;
        }
    }

    internal int WatcherCount
    {
        get
        {
            lock (Gate)
            {
                return _watchers.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>The live object with this uid, if any.</summary>
    internal (string StorageKey, StoredObject Object)? FindByUid(string uid)
    {
        lock (Gate)
        {
            if (_byUid.TryGetValue(uid, out var at) && _data.TryGetValue(at.StorageKey, out var objects) && objects.TryGetValue(at.Key, out var o))
            {
                return (at.StorageKey, o);
            }
            return null;
        }
    }

    /// <summary>The live objects whose ownerReferences name <paramref name="ownerUid"/>.</summary>
    internal List<(string StorageKey, StoredObject Object)> DependentsOf(string ownerUid)
    {
        lock (Gate)
        {
            var result = new List<(string, StoredObject)>();
            if (_dependents.TryGetValue(ownerUid, out var set))
            {
                foreach (var (storageKey, key) in set.OrderBy(x => x.StorageKey, StringComparer.Ordinal).ThenBy(x => x.Key, StringComparer.Ordinal))
                {
                    if (_data.TryGetValue(storageKey, out var objects) && objects.TryGetValue(key, out var o))
                    {
                        result.Add((storageKey, o));
                    }
                }
            }
            return result;
        }
    }

    private void Index(string storageKey, StoredObject o)
    {
        var meta = o.Object["metadata"] as JsonObject;
        if ((string?)meta?["uid"] is { Length: > 0 } uid)
        {
            _byUid[uid] = (storageKey, o.Key);
        }
        if (meta?["ownerReferences"] is JsonArray owners)
        {
            foreach (var owner in owners)
            {
                if ((string?)owner?["uid"] is { Length: > 0 } ownerUid)
                {
                    if (!_dependents.TryGetValue(ownerUid, out var set))
                    {
                        set = [];
                        _dependents[ownerUid] = set;
                    }
                    set.Add((storageKey, o.Key));
                }
            }
        }
    }

    private void Unindex(string storageKey, StoredObject? o)
    {
        if (o is null)
        {
            return;
        }
        var meta = o.Object["metadata"] as JsonObject;
        if ((string?)meta?["uid"] is { Length: > 0 } uid && _byUid.TryGetValue(uid, out var at) && at == (storageKey, o.Key))
        {
            _byUid.Remove(uid);
        }
        if (meta?["ownerReferences"] is JsonArray owners)
        {
            foreach (var owner in owners)
            {
                if ((string?)owner?["uid"] is { Length: > 0 } ownerUid && _dependents.TryGetValue(ownerUid, out var set))
                {
                    set.Remove((storageKey, o.Key));
                    if (set.Count == 0)
                    {
                        _dependents.Remove(ownerUid);
                    }
                }
            }
        }
    }

    private void Publish(WatchEvent e)
    {
        if (_historyCount == _history.Length)
        {
            _historyFloor = _history[_historyStart]!.ResourceVersion;
            _history[_historyStart] = e;
            _historyStart = (_historyStart + 1) % _history.Length;
        }
        else
        {
            _history[(_historyStart + _historyCount) % _history.Length] = e;
            _historyCount++;
        }
        if (_watchers.TryGetValue(e.StorageKey, out var list))
        {
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (!list[i].Offer(e))
                {
                    list.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>A resource that is no longer served (its CRD is gone) ends its watches, as upstream.</summary>
    private void CloseWatchersOfRemovedTypes()
    {
        foreach (var (storageKey, list) in _watchers)
        {
            if (list.Count > 0 && !_types.Values.Any(t => t.StorageKey == storageKey))
            {
                list.ForEach(w => w.Close());
                list.Clear();
            }
        }
    }

    private void RebuildTypes()
    {
        var types = new Dictionary<string, ResourceType>(StringComparer.Ordinal);
        foreach (var t in BuiltInTypes.All)
        {
            types[t.Group + "/" + t.Version + "/" + t.Plural] = t;
        }
        if (_data.TryGetValue("apiextensions.k8s.io/customresourcedefinitions", out var crds))
        {
            foreach (var crd in crds.Values)
            {
                foreach (var t in CustomResourceTypes.FromCrd(crd.Object))
                {
                    types.TryAdd(t.Group + "/" + t.Version + "/" + t.Plural, t);
                }
            }
        }
        _types = types;
    }
}
