using Npgsql;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of this test's own (initdb + pg_ctl as the postgres user, in a temp dir, on a free port),
/// which the test may stop and start; the shared test server is never touched.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _dir;

    private PrivatePostgres(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=3;Command Timeout=5";

    private string Data => Path.Combine(_dir, "data");

    public static async Task<PrivatePostgres> StartAsync()
    {
        _ = TestServices.PostgresBin; // fails with how to start the services before anything is made
        var dir = Directory.CreateTempSubdirectory("gg-pg-").FullName;
        var pg = new PrivatePostgres(dir, TestServices.FreePort());
        try
        {
            if (Environment.UserName == "root")
            {
                await TestServices.RunAsync("chown", "-R", "postgres:postgres", dir);
            }
            await pg.AsPostgresAsync("initdb", "-D", pg.Data, "-U", "postgres", "--auth=trust", "-E", "UTF8");
            await pg.StartAgainAsync();
            return pg;
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    public async Task StartAgainAsync()
    {
        await AsPostgresAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_dir, "pg.log"), "-w", "-t", "60",
            "-o", $"-h 127.0.0.1 -p {Port} -k {_dir} -c fsync=off", "start");
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
    }

    public Task StopAsync() => AsPostgresAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // not running
        }
        Directory.Delete(_dir, recursive: true);
    }

    private Task<string> AsPostgresAsync(string tool, params string[] args)
    {
        var path = Path.Combine(TestServices.PostgresBin, tool);
        return Environment.UserName == "root"
            ? TestServices.RunAsync("runuser", ["-u", "postgres", "--", path, .. args])
            : TestServices.RunAsync(path, args);
    }
}
