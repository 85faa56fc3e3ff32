using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>The real Redis and PostgreSQL servers the tests use, from the environment <c>scripts/test-services.sh start</c> prints.</summary>
internal static class TestServices
{
    private const string HowToStart = "start the test services first: eval \"$(scripts/test-services.sh start)\" (scripts/install-deps.sh installs them)";

    public static string Redis => Required("GRIDGAME_TEST_REDIS");

    public static string Postgres => Required("GRIDGAME_TEST_POSTGRES");

    public static string PostgresBin => Required("GRIDGAME_TEST_PG_BIN");

    public static string RedisServer => Required("GRIDGAME_TEST_REDIS_SERVER");

    /// <summary>A key prefix of its own, so tests sharing the Redis server never see each other's games.</summary>
    public static string RedisPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Creates an empty database on the shared PostgreSQL server; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "gg_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name, Pooling = false }.ConnectionString;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command to completion (bounded), failing with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {output}");
        }
        return output;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: {HowToStart}");
}
