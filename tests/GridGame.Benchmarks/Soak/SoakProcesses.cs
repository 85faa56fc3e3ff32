using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StackExchange.Redis;

namespace GridGame.Benchmarks.Soak;

/// <summary>
/// A redis-server of the soak's own, as the docs require it: the append-only file on. It is killed with SIGKILL, so
/// fsync is <c>always</c>: with <c>everysec</c> a SIGKILL may take the last second of acknowledged writes with it,
/// which is the documented price of that setting, not a fault the soak looks for.
/// </summary>
internal sealed class SoakRedis : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-soak-redis-").FullName;
    private Process? _process;

    public int Port { get; } = SoakPorts.Free();

    public string Endpoint => $"127.0.0.1:{Port}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("GRIDGAME_TEST_REDIS_SERVER") ?? "redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", _dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always" })
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info)!;
        _ = _process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = _process.StandardError.ReadToEndAsync(cancellationToken);
        await SoakPorts.UntilAsync(async () =>
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(Endpoint + ",connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return true;
            }
            catch (RedisException)
            {
                // not listening yet, or still loading its append-only file
                return false;
            }
        }, "the soak's redis-server answers", cancellationToken);
    }

    /// <summary>SIGKILL, as the OOM killer or a node failure would end it.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>A PostgreSQL cluster of the soak's own (initdb, pg_ctl; as the postgres user when run as root), restarted on schedule.</summary>
internal sealed class SoakPostgres : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-soak-pg-").FullName;

    public int Port { get; } = SoakPorts.Free();

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Command Timeout=30";

    private string Data => Path.Combine(_dir, "data");

    public async Task StartAsync()
    {
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "-R", "postgres:postgres", _dir);
        }
        await AsPostgresAsync("initdb", "-D", Data, "-U", "postgres", "--auth=trust", "-E", "UTF8");
        await StartAgainAsync();
    }

    /// <summary>A fast restart (<c>pg_ctl restart -m fast</c>): every connection is cut, the server is back in a second or two.</summary>
    public Task RestartAsync() => AsPostgresAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "-t", "60", "-l", Path.Combine(_dir, "pg.log"),
        "-o", $"-h 127.0.0.1 -p {Port} -k {_dir}", "restart");

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // not running
        }
        Directory.Delete(_dir, recursive: true);
    }

    private Task StartAgainAsync() => AsPostgresAsync("pg_ctl", "-D", Data, "-w", "-t", "60", "-l", Path.Combine(_dir, "pg.log"),
        "-o", $"-h 127.0.0.1 -p {Port} -k {_dir}", "start");

    private static Task AsPostgresAsync(string tool, params string[] args)
    {
        var bin = Environment.GetEnvironmentVariable("GRIDGAME_TEST_PG_BIN")
            ?? throw new InvalidOperationException("GRIDGAME_TEST_PG_BIN is not set: eval \"$(scripts/test-services.sh start)\" first");
        var path = Path.Combine(bin, tool);
        return Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await errors}{await output}");
        }
    }
}

/// <summary>
/// One game server as the kubelet runs it: the game server's own program in a process of its own, with a fixed port
/// and name, so that after a SIGKILL it comes back where its players look for it and reads its history feed again.
/// </summary>
internal sealed class SoakServer(int index, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = SoakPorts.Free();

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string Name => $"soak-{index}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "GridGame.GameServer.dll"), "--urls", BaseUrl, "--environment", "Production" })
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        info.Environment["GridGame__ServerName"] = Name;
        // Its own keys in the shared Redis: a restarted server recovers every unfinished game under its prefix, and
        // two servers must never both serve one game.
        info.Environment["GridGame__RedisPrefix"] = $"soak{index}";
        _process = Process.Start(info)!;
        _ = _process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = _process.StandardError.ReadToEndAsync(cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await SoakPorts.UntilAsync(async () =>
        {
            try
            {
                return await http.GetStringAsync(new Uri(BaseUrl + "/health"), cancellationToken) == "ok";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, $"game server {Name} answers", cancellationToken);
    }

    /// <summary>SIGKILL: no drain, no flush; what it had acknowledged is in Redis, its history feed unread.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM and wait: the server drains and its history pump flushes what it has.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            _ = SoakPorts.Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync() => new(KillAsync());
}

internal static class SoakPorts
{
    public static int Free()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls until <paramref name="probe"/> holds, for at most a minute.</summary>
    public static async Task UntilAsync(Func<Task<bool>> probe, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not within a minute");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
