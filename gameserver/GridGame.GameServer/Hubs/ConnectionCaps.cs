namespace GridGame.GameServer.Hubs;

/// <summary>
/// How many hub connections each player (token subject) and each remote address has open, against
/// <c>GridGame:Connections:PerPlayer</c> and <c>PerAddress</c>. Admitting takes a lease; disposing it gives the place back.
/// </summary>
internal sealed class ConnectionCaps(ConnectionLimits limits)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _players = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _addresses = new(StringComparer.Ordinal);

    /// <summary>A lease when the connection may open; else null and the refusal.</summary>
    public IDisposable? TryAdmit(string? player, string? address, out ConnectionRefusal? refusal)
    {
        lock (_lock)
        {
            refusal = limits.Check(Count(_players, player), Count(_addresses, address));
            if (refusal is not null)
            {
                return null;
            }
            Add(_players, player, 1);
            Add(_addresses, address, 1);
        }
        return new Lease(this, player, address);
    }

    private static int Count(Dictionary<string, int> counts, string? key) => key is not null && counts.TryGetValue(key, out var n) ? n : 0;

    private static void Add(Dictionary<string, int> counts, string? key, int delta)
    {
        if (key is null)
        {
            return;
        }
        var n = Count(counts, key) + delta;
        if (n > 0)
        {
            counts[key] = n;
        }
        else
        {
            counts.Remove(key); // an entry per key ever seen would grow without bound
        }
    }

    private sealed class Lease(ConnectionCaps caps, string? player, string? address) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (caps._lock)
                {
                    Add(caps._players, player, -1);
                    Add(caps._addresses, address, -1);
                }
            }
        }
    }
}

/// <summary>Why a connection was refused: the metric's reason and the message the client reads.</summary>
internal sealed record ConnectionRefusal(string Reason, string Message);

/// <summary>The caps on open hub connections; 0 means no cap. Pure.</summary>
internal sealed record ConnectionLimits(int PerPlayer, int PerAddress)
{
    public ConnectionRefusal? Check(int playerOpen, int addressOpen)
    {
        if (PerPlayer > 0 && playerOpen >= PerPlayer)
        {
            return new ConnectionRefusal(RefusalReasons.ConnectionsPerPlayer,
                $"too many connections: this player already has {playerOpen} open; close one first");
        }
        if (PerAddress > 0 && addressOpen >= PerAddress)
        {
            return new ConnectionRefusal(RefusalReasons.ConnectionsPerAddress,
                $"too many connections: this address already has {addressOpen} open");
        }
        return null;
    }
}
