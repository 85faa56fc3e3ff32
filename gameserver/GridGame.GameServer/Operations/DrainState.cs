namespace GridGame.GameServer.Operations;

/// <summary>Whether the server is shutting down: once draining, it refuses new joins and reports not ready.</summary>
internal sealed class DrainState
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Marks the server draining; true only for the call that made the change.</summary>
    public bool Begin()
    {
        lock (this)
        {
            if (_draining)
            {
                return false;
            }
            _draining = true;
            return true;
        }
    }
}
