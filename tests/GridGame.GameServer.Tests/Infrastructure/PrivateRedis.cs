using StackExchange.Redis;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>A redis-server of this test's own (append-only file on), on a free port, that the test may stop and start.</summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-redis-").FullName;

    private PrivateRedis(int port) => Port = port;

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedis> StartAsync()
    {
        _ = TestServices.RedisServer; // fails with how to start the services before anything is made
        var redis = new PrivateRedis(TestServices.FreePort());
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
            "--save", "", "--appendonly", "yes", "--appendfsync", "always");
        await TestServices.EventuallyAsync(async () =>
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

    /// <summary>Stops the server the way SHUTDOWN does (the append-only file keeps every write).</summary>
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
