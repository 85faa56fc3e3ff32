namespace GridGame.EndToEnd.Tests;

/// <summary>One local-mode run shared by the tests of <see cref="LocalModeCollection"/> (starting it takes seconds).</summary>
public sealed class LocalModeFixture : IAsyncLifetime
{
    private LocalModeProcess? _local;

    public LocalModeProcess Local => _local ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _local = await LocalModeProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LocalModeCollection : ICollectionFixture<LocalModeFixture>
{
    public const string Name = "local mode";
}

/// <summary>
/// Tests that start a local mode of their own with game servers run one at a time, after the parallel ones: every
/// local mode hands out hostPorts from the same range (7000-8000) on the same host, so two at once put game servers of
/// both on one port. One of them cannot bind, yet its pod turns Ready, because its readiness probe reaches the other
/// cluster's server, and so do its players, who are told "not your game".
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnLocalModeCollection
{
    public const string Name = "own local mode";
}
