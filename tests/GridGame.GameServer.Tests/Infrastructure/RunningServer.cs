using System.Text;
using GridGame.GameServer.Game;
using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>The real game server on Kestrel at 127.0.0.1 on a free port, with test settings.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public const string SigningKey = "a-test-signing-key-that-is-long-enough-for-hs256";
    private readonly string? _sqliteFile;

    private RunningServer(WebApplication app, string? sqliteFile)
    {
        App = app;
        _sqliteFile = sqliteFile;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
        Ops = new HttpClient { BaseAddress = app.Services.GetRequiredService<OpsServer>().Address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    /// <summary>The game port: the page, the hub, dev tokens.</summary>
    public HttpClient Http { get; }

    /// <summary>The ops port: /ready, /metrics, /health.</summary>
    public HttpClient Ops { get; }

    public IServiceProvider Services => App.Services;

    public GameDirectory Directory => Services.GetRequiredService<GameDirectory>();

    /// <summary>A server whose time is <paramref name="time"/> (a test's fake clock), with <paramref name="settings"/> over the defaults.</summary>
    public static Task<RunningServer> StartAsync(TimeProvider time, IDictionary<string, string?> settings) =>
        StartAsync(settings, services => services.AddSingleton(time));

    public static async Task<RunningServer> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, ILoggerProvider? logs = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:DevTokens"] = "true",
            ["GridGame:Standalone"] = "true",
            ["GridGame:Game:BoardSize"] = "4",
            ["GridGame:Game:MinPlayers"] = "1",
            ["GridGame:Game:ClaimCooldownMs"] = "0",
            ["GridGame:RateLimit:Burst"] = "1000",
            ["GridGame:RateLimit:PerSecond"] = "1000",
            ["GridGame:HistoryPollMs"] = "20",
            ["GridGame:ShutdownTimeoutSeconds"] = "10",
            ["GridGame:DrainSeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
            ["GridGame:OpsPort"] = "0",
        };
        string? sqliteFile = null;
        if (settings is null || !settings.ContainsKey("ConnectionStrings:Postgres"))
        {
            sqliteFile = Path.Combine(Path.GetTempPath(), $"gg-history-{Guid.NewGuid():N}.db");
            config["ConnectionStrings:Sqlite"] = $"Data Source={sqliteFile};Pooling=false";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        var app = GameServerHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            services?.Invoke(builder.Services);
        });
        if (logs is not null)
        {
            // Here rather than as a service: outside Development the server clears the logging providers registered before it.
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await app.StartAsync(timeout.Token);
        }
        catch
        {
            await app.DisposeAsync();
            if (sqliteFile is not null)
            {
                File.Delete(sqliteFile);
            }
            throw;
        }
        return new RunningServer(app, sqliteFile);
    }

    public static string Token(string player) =>
        GameAuth.CreateToken(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), player, DateTimeOffset.UtcNow);

    public async Task<TestPlayer> ConnectAsync(string player, bool messagePack = false)
    {
        var client = new TestPlayer(player, BaseUrl, Token(player), messagePack);
        await client.StartAsync();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Ops.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await App.StopAsync(timeout.Token);
        }
        finally
        {
            await App.DisposeAsync();
            if (_sqliteFile is not null)
            {
                foreach (var file in new[] { _sqliteFile, _sqliteFile + "-wal", _sqliteFile + "-shm" })
                {
                    File.Delete(file);
                }
            }
        }
    }
}
