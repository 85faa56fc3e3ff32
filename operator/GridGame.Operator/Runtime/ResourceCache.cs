using System.Globalization;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>What happened to an object in a cache. <see cref="Old"/> is null for adds, <see cref="New"/> for deletes.</summary>
internal sealed record CacheEvent<T>(WatchEventType Type, T? Old, T? New)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public T Object => New ?? Old!;
}

/// <summary>Well-known index names and index functions.</summary>
internal static class CacheIndexes
{
    public const string Namespace = "namespace";
    public const string Fleet = "fleet";
    public const string Owner = "owner";
    public const string Server = "server";

    /// <summary>Label <c>gridgame.io/fleet</c>.</summary>
    public const string FleetLabel = "gridgame.io/fleet";

    /// <summary>Label <c>gridgame.io/server</c> (on sessions).</summary>
    public const string ServerLabel = "gridgame.io/server";

    public static IEnumerable<string> ByNamespace(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata?.NamespaceProperty is { } ns ? [ns] : [];

    public static IEnumerable<string> ByControllerOwnerUid(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true)?.Uid is { } uid ? [uid] : [];

    /// <summary>Indexes by <c>namespace/value</c> of a label, so equal names in two namespaces stay apart.</summary>
    public static Func<IKubernetesObject<V1ObjectMeta>, IEnumerable<string>> ByLabel(string label) =>
        obj => obj.Metadata?.Labels is { } labels && labels.TryGetValue(label, out var value)
            ? [ObjectKey.Of(obj.Metadata.NamespaceProperty, value)]
            : [];
}

/// <summary>The <c>namespace/name</c> keys the work queue and the cache use.</summary>
internal static class ObjectKey
{
    public static string Of(string? @namespace, string name) =>
        string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    public static string Of(IKubernetesObject<V1ObjectMeta> obj) => Of(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public static (string? Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}

/// <summary>
/// A thread-safe store of the objects of one type, keyed <c>namespace/name</c>, with named indexes.
/// Cached objects are shared: treat them as read-only and copy before changing.
/// </summary>
internal sealed class ResourceCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal);
    private readonly List<Action<CacheEvent<T>>> _handlers = [];

    // Deleted keys and the version they were deleted at, so a late answer to an own write (older than the delete)
    // cannot bring a deleted object back. Bounded: the oldest are forgotten first.
    private const int MaxTombstones = 10_000;
    private readonly Dictionary<string, string?> _tombstones = new(StringComparer.Ordinal);
    private readonly Queue<string> _tombstoneOrder = new();

    public ResourceCache()
    {
        AddIndex(CacheIndexes.Namespace, CacheIndexes.ByNamespace);
        AddIndex(CacheIndexes.Owner, CacheIndexes.ByControllerOwnerUid);
        AddIndex(CacheIndexes.Fleet, CacheIndexes.ByLabel(CacheIndexes.FleetLabel));
        AddIndex(CacheIndexes.Server, CacheIndexes.ByLabel(CacheIndexes.ServerLabel));
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Registers (or replaces) an index; existing objects are indexed at once.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> indexer)
    {
        lock (_gate)
        {
            _indexers[name] = indexer;
            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            _indexes[name] = index;
            foreach (var (key, item) in _items)
            {
                foreach (var value in indexer(item))
                {
                    AddToIndex(index, value, key);
                }
            }
        }
    }

    /// <summary>Subscribes to changes. Handlers run synchronously under no lock and must be quick (enqueue keys).</summary>
    public void AddHandler(Action<CacheEvent<T>> handler)
    {
        lock (_gate)
        {
            _handlers.Add(handler);
        }
    }

    public T? Get(string key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public T? Get(string? @namespace, string name) => Get(ObjectKey.Of(@namespace, name));

    public IReadOnlyList<T> List()
    {
        lock (_gate)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<string> Keys()
    {
        lock (_gate)
        {
            return [.. _items.Keys];
        }
    }

    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_gate)
        {
            if (!_indexes.TryGetValue(indexName, out var index))
            {
                throw new ArgumentException($"no index named '{indexName}'", nameof(indexName));
            }

            return index.TryGetValue(value, out var keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    /// <summary>
    /// Puts an object the caller got from the API (its own write's response, or a watch event) if it is newer
    /// than what the cache holds. Returns whether the cache changed.
    /// </summary>
    public bool Upsert(T obj)
    {
        CacheEvent<T>? change;
        lock (_gate)
        {
            change = UpsertLocked(obj);
        }

        Notify(change);
        return change is not null;
    }

    /// <summary>
    /// Removes an object (a watch DELETED event, or the caller's own delete). <paramref name="resourceVersion"/> is the
    /// version it was deleted at when known (a DELETED event's object); older upserts of the key are ignored afterwards.
    /// Returns whether it was there.
    /// </summary>
    public bool Remove(string key, string? resourceVersion = null)
    {
        CacheEvent<T>? change;
        lock (_gate)
        {
            change = RemoveLocked(key);
            var deletedAt = resourceVersion ?? change?.Old?.Metadata.ResourceVersion;
            if (deletedAt is not null)
            {
                Tombstone(key, deletedAt);
            }
        }

        Notify(change);
        return change is not null;
    }

    /// <summary>
    /// Replaces the contents of one namespace (or of all, when null) with a fresh list taken at <paramref name="listResourceVersion"/>:
    /// newer items are upserted and objects missing from the list are deleted (with a delete event), unless they
    /// are newer than the list (an own write that the list did not see yet). Keys in <paramref name="unreadable"/> were
    /// listed but could not be read: they are not gone, so the cache keeps the last version it could read.
    /// </summary>
    public int Replace(string? @namespace, IReadOnlyCollection<T> items, string? listResourceVersion, IReadOnlySet<string>? unreadable = null)
    {
        var changes = new List<CacheEvent<T>>();
        lock (_gate)
        {
            var listed = new HashSet<string>(unreadable ?? new HashSet<string>(), StringComparer.Ordinal);
            foreach (var item in items)
            {
                listed.Add(ObjectKey.Of(item));
                if (UpsertLocked(item) is { } change)
                {
                    changes.Add(change);
                }
            }

            var vanished = _items
                .Where(pair => !listed.Contains(pair.Key)
                    && (@namespace is null || pair.Value.Metadata.NamespaceProperty == @namespace)
                    && !IsNewer(pair.Value.Metadata.ResourceVersion, listResourceVersion))
                .Select(pair => pair.Key)
                .ToList();
            foreach (var key in vanished)
            {
                if (RemoveLocked(key) is { } change)
                {
                    changes.Add(change);
                    if (listResourceVersion is not null)
                    {
                        Tombstone(key, listResourceVersion);
                    }
                }
            }
        }

        foreach (var change in changes)
        {
            Notify(change);
        }

        return changes.Count(c => c.Type == WatchEventType.Deleted);
    }

    /// <summary>Whether <paramref name="candidate"/> is strictly newer than <paramref name="current"/>; unparsable versions count as newer.</summary>
    public static bool IsNewer(string? candidate, string? current)
    {
        if (string.IsNullOrEmpty(current))
        {
            return true;
        }

        if (long.TryParse(candidate, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            && long.TryParse(current, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            return a > b;
        }

        return !string.Equals(candidate, current, StringComparison.Ordinal);
    }

    private CacheEvent<T>? UpsertLocked(T obj)
    {
        var key = ObjectKey.Of(obj);
        if (_tombstones.TryGetValue(key, out var deletedAt))
        {
            if (!IsNewer(obj.Metadata.ResourceVersion, deletedAt))
            {
                return null;
            }

            _tombstones.Remove(key);
        }

        if (_items.TryGetValue(key, out var old))
        {
            if (!IsNewer(obj.Metadata.ResourceVersion, old.Metadata.ResourceVersion))
            {
                return null;
            }

            Unindex(key, old);
        }

        _items[key] = obj;
        Index(key, obj);
        return new CacheEvent<T>(old is null ? WatchEventType.Added : WatchEventType.Modified, old, obj);
    }

    private CacheEvent<T>? RemoveLocked(string key)
    {
        if (!_items.Remove(key, out var old))
        {
            return null;
        }

        Unindex(key, old);
        return new CacheEvent<T>(WatchEventType.Deleted, old, null);
    }

    private void Tombstone(string key, string resourceVersion)
    {
        if (_tombstones.TryAdd(key, resourceVersion))
        {
            _tombstoneOrder.Enqueue(key);
        }
        else
        {
            _tombstones[key] = resourceVersion;
        }

        while (_tombstoneOrder.Count > MaxTombstones)
        {
            _tombstones.Remove(_tombstoneOrder.Dequeue());
        }
    }

    private void Index(string key, T obj)
    {
        foreach (var (name, indexer) in _indexers)
        {
            foreach (var value in indexer(obj))
            {
                AddToIndex(_indexes[name], value, key);
            }
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach (var (name, indexer) in _indexers)
        {
            var index = _indexes[name];
            foreach (var value in indexer(obj))
            {
                if (index.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    index.Remove(value);
                }
            }
        }
    }

    private static void AddToIndex(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (!index.TryGetValue(value, out var keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            index[value] = keys;
        }

        keys.Add(key);
    }

    private void Notify(CacheEvent<T>? change)
    {
        if (change is null)
        {
            return;
        }

        Action<CacheEvent<T>>[] handlers;
        lock (_gate)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            handler(change);
        }
    }
}
