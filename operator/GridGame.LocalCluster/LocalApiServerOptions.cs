namespace GridGame.LocalCluster;

/// <summary>How to start a <see cref="LocalApiServer"/>.</summary>
public sealed class LocalApiServerOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks any free port.</summary>
    public int Port { get; init; }

    /// <summary>An existing store to serve (a restart over the same state); null starts empty.</summary>
    public ClusterStore? Store { get; init; }

    /// <summary>Events retained for watches from a resourceVersion; older ones get 410 Expired.</summary>
    public int WatchHistory { get; init; } = 10_000;

    /// <summary>The clock of timestamps, ages, watch timeouts and bookmarks.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How often a watch with allowWatchBookmarks gets a BOOKMARK when nothing else happens.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events a watcher may fall behind by before it is dropped (its client must reconnect).</summary>
    public int WatcherBuffer { get; init; } = 10_000;
}
