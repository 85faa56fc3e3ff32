using System.Threading.Channels;

namespace GridGame.LocalCluster.Storage;

/// <summary>One change in the store, as retained in the watch history and fanned out to watchers.</summary>
/// <param name="Type">ADDED, MODIFIED or DELETED.</param>
/// <param name="Object">The new state (for DELETED: the last state, stamped with the deletion's resourceVersion).</param>
/// <param name="Previous">The state before the change, so that selector watches can tell an object leaving the selection.</param>
internal sealed record WatchEvent(string Type, string StorageKey, StoredObject Object, StoredObject? Previous)
{
    public long ResourceVersion => Object.ResourceVersion;
}

/// <summary>One open watch's mailbox. Bounded: a watcher that falls behind is dropped, never waited for.</summary>
internal sealed class Watcher
{
    private readonly Channel<WatchEvent> _channel;

    public Watcher(string storageKey, string? ns, int capacity)
    {
        StorageKey = storageKey;
        Namespace = ns;
        _channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string StorageKey { get; }

    public string? Namespace { get; }

    public ChannelReader<WatchEvent> Reader => _channel.Reader;

    /// <summary>True once the watcher was dropped because it fell behind (the client must reconnect).</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Offers an event without waiting; false when the watcher is full and has been closed.</summary>
    public bool Offer(WatchEvent e)
    {
        if (Namespace is not null && e.Object.Namespace != Namespace)
        {
            return true;
        }
        if (_channel.Writer.TryWrite(e))
        {
            return true;
        }
        Overflowed = true;
        _channel.Writer.TryComplete();
        return false;
    }

    public void Close() => _channel.Writer.TryComplete();
}
