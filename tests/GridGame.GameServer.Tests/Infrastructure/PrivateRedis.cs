using StackExchange.Redis;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>
/// A redis-server of this test's own, on a free port, that the test may stop and start: with the append-only file on
/// (fsync always) it comes back with every write; without it (and no snapshots) it comes back empty.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-redis-").FullName;

    private readonly bool _appendOnly;

    private PrivateRedis(int port, bool appendOnly)
    {
        Port = port;
        _appendOnly = appendOnly;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedis> StartAsync(bool appendOnly = true)
    {
        _ = TestServices.RedisServer; // fails with how to start the services before anything is made
        var redis = new PrivateRedis(TestServices.FreePort(), appendOnly);
        try
        {
            await redis.StartAgainAsync();
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    public async Task StartAgainAsync()
    {
        await TestServices.RunAsync(TestServices.RedisServer, "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--daemonize", "yes", "--dir", _dir, "--pidfile", Path.Combine(_dir, "redis.pid"), "--logfile", Path.Combine(_dir, "redis.log"),
            "--save", "", "--appendonly", _appendOnly ? "yes" : "no", "--appendfsync", "always");
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(Endpoint + ",connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return true;
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, "private redis-server answers");
    }

    /// <summary>Kills the server (SIGKILL): with the append-only file every write is kept, without it everything goes.</summary>
    public async Task StopAsync()
    {
        var pidFile = Path.Combine(_dir, "redis.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        File.Delete(pidFile);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (ArgumentException)
        {
            // already gone
        }
        Directory.Delete(_dir, recursive: true);
    }
}
