namespace GridGame.Operator.Runtime;

/// <summary>
/// What a controller is waiting to see after its own creates and deletes (client-go's ControllerExpectations):
/// a reconcile that runs before the watch (or the cache update) shows them skips acting, so it never creates twice.
/// Expectations expire after <c>ttl</c> so a lost event cannot wedge an owner forever.
/// </summary>
internal sealed class Expectations(TimeProvider time, TimeSpan? ttl = null)
{
    private readonly TimeSpan _ttl = ttl ?? TimeSpan.FromMinutes(5);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Record before issuing the creates: <paramref name="count"/> more objects should appear for <paramref name="ownerKey"/>.</summary>
    public void ExpectCreations(string ownerKey, int count) => Change(ownerKey, count, 0, refresh: true);

    /// <summary>Record before issuing the deletes.</summary>
    public void ExpectDeletions(string ownerKey, int count) => Change(ownerKey, 0, count, refresh: true);

    /// <summary>A create of ours appeared (or failed, so it never will).</summary>
    public void CreationObserved(string ownerKey) => Change(ownerKey, -1, 0, refresh: false);

    /// <summary>A delete of ours went through (or failed).</summary>
    public void DeletionObserved(string ownerKey) => Change(ownerKey, 0, -1, refresh: false);

    /// <summary>True when nothing is pending for the owner, or what was pending has expired.</summary>
    public bool Satisfied(string ownerKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(ownerKey, out var entry))
            {
                return true;
            }

            if (entry.Adds <= 0 && entry.Deletes <= 0)
            {
                return true;
            }

            return time.GetUtcNow() - entry.Since > _ttl;
        }
    }

    /// <summary>(adds, deletes) still pending for the owner.</summary>
    public (int Adds, int Deletes) Pending(string ownerKey)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(ownerKey, out var entry) ? (Math.Max(0, entry.Adds), Math.Max(0, entry.Deletes)) : (0, 0);
        }
    }

    /// <summary>The owner is gone: drop its expectations.</summary>
    public void Forget(string ownerKey)
    {
        lock (_gate)
        {
            _entries.Remove(ownerKey);
        }
    }

    private void Change(string ownerKey, int adds, int deletes, bool refresh)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(ownerKey, out var entry))
            {
                if (!refresh)
                {
                    return;
                }

                entry = new Entry { Since = time.GetUtcNow() };
                _entries[ownerKey] = entry;
            }

            if (refresh)
            {
                entry.Since = time.GetUtcNow();
            }

            entry.Adds = Math.Max(0, entry.Adds + adds);
            entry.Deletes = Math.Max(0, entry.Deletes + deletes);
            if (entry.Adds == 0 && entry.Deletes == 0)
            {
                _entries.Remove(ownerKey);
            }
        }
    }

    private sealed class Entry
    {
        public int Adds { get; set; }

        public int Deletes { get; set; }

        public DateTimeOffset Since { get; set; }
    }
}
