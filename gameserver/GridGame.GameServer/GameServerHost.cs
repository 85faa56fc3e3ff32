using GridGame.GameServer.Agent;
using GridGame.GameServer.Game;
using GridGame.GameServer.History;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Stores;
using GridGame.Telemetry;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Prometheus;
using StackExchange.Redis;

namespace GridGame.GameServer;

/// <summary>Builds the game server: <c>GameServerHost.Build(args).RunAsync()</c>. Tests pass <paramref name="configure"/> to add settings or services.</summary>
internal static class GameServerHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var podName = builder.Configuration["POD_NAME"];
        builder.Services.AddOptions<GameServerOptions>().Bind(builder.Configuration.GetSection(GameServerOptions.Section)).PostConfigure(o =>
        {
            o.Standalone ??= string.IsNullOrEmpty(podName);
            o.ServerName ??= string.IsNullOrEmpty(podName) ? Environment.MachineName : podName;
        })
            .Validate(o => o.Game.Validate() is null, "GridGame:Game is not a playable game: check boardSize (1-64), minPlayers, maxPlayers, durationSeconds, claimCooldownMs")
            .Validate(o => o.MaxMessageBytes >= 256 && o.RateLimit.Burst >= 1 && o.RateLimit.PerSecond > 0, "GridGame:MaxMessageBytes must be at least 256 and GridGame:RateLimit positive")
            .Validate(o => o.OpsPort is >= 0 and <= 65535, "GridGame:OpsPort must be a port number (0: any free port)")
            .Validate(o => o.ClientTimeoutSeconds >= 1 && o.Connections.PerPlayer >= 0 && o.Connections.PerAddress >= 0, "GridGame:ClientTimeoutSeconds must be at least 1 and GridGame:Connections caps 0 (none) or more")
            .Validate(o => o.ClaimAnnounceIntervalMs is >= 0 and <= 1000, "GridGame:ClaimAnnounceIntervalMs must be between 0 and 1000")
            .ValidateOnStart();
        configure?.Invoke(builder);

        if (builder.Configuration["PORT_OPS"] is { Length: > 0 } opsPort)
        {
            builder.Configuration.AddInMemoryCollection([new($"{GameServerOptions.Section}:{nameof(GameServerOptions.OpsPort)}", opsPort)]);
        }
        var options = builder.Configuration.GetSection(GameServerOptions.Section).Get<GameServerOptions>() ?? new GameServerOptions();
        if (builder.Configuration["urls"] is null && builder.Configuration["PORT"] is { Length: > 0 } port)
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));
        builder.Configuration.AddDefaultLogLevels();
        if (!builder.Environment.IsDevelopment() || builder.Configuration.GetValue("Logging:Json", false))
        {
            builder.Logging.AddEcsJsonConsole();
        }
        // HTTP spans for the page, negotiation and connections; not for probes.
        builder.Services.AddOtlpTracing(
            builder.Configuration, "gridgame-gameserver", [GameTracing.SourceName, GameTracing.SignalRSourceName],
            t => t.AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/health")));

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GameMetrics>();
        // Started before the draining and the agent, so it stops after them: /ready says "draining" to the end.
        builder.Services.AddSingleton<OpsServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OpsServer>());
        builder.Services.AddSingleton<DrainState>();
        builder.Services.AddSingleton<GameDirectory>();
        AddStore(builder);
        builder.Services.AddGameHistory(builder.Configuration);
        builder.AddGameAuth();
        // A singleton: registered, SignalR takes it from the container instead of building one for every invocation.
        builder.Services.AddSingleton<RefusalFilter>();
        builder.Services.AddSingleton<IHubActivator<GameHub>, GameHubActivator>();
        builder.Services.AddSingleton<IHubProtocolResolver, RateLimitedProtocolResolver>();
        builder.Services.AddSingleton(new ConnectionCaps(new ConnectionLimits(options.Connections.PerPlayer, options.Connections.PerAddress)));
        builder.Services.AddSingleton<ConnectionGuard>();
        builder.Services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = options.MaxMessageBytes;
            o.ClientTimeoutInterval = options.ClientTimeout;
            o.KeepAliveInterval = TimeSpan.FromSeconds(Math.Min(15, options.ClientTimeoutSeconds / 2.0));
            o.AddFilter<RefusalFilter>();
        }).AddMessagePackProtocol();
        // SignalR logs every exception a hub call throws at Error with its stack trace, refusals (HubException) included;
        // RefusalFilter logs faults at Error and counts refusals instead, so SignalR's line is switched off.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.None);
        builder.Services.AddSingleton<GameClock>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GameClock>());
        builder.Services.AddSingleton<DrainService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DrainService>());
        // The Kubernetes agent (inactive in standalone mode): sessions bound to this pod open games; games report back.
        builder.Services.AddSingleton<AgentState>();
        builder.Services.AddSingleton<SessionReporter>();
        builder.Services.AddSingleton<IGameObserver>(sp => sp.GetRequiredService<SessionReporter>());
        builder.Services.AddHostedService<SessionAgent>();

        var app = builder.Build();
        app.Use(RedirectBrowsersToThePage);
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGameHub();
        app.MapDevTokens();
        // /ready and /metrics are on the ops port only (OpsServer); /health stays here too, for probes set up before.
        app.MapGet("/health", () => Results.Text("ok"));
        return app;
    }

    /// <summary>A GameSession's <c>status.url</c> points at the hub; a browser that opens it gets the page for that session.</summary>
    private static Task RedirectBrowsersToThePage(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) && request.Path.Equals(GameHub.Path, StringComparison.OrdinalIgnoreCase)
            && !context.WebSockets.IsWebSocketRequest && request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
        {
            context.Response.Redirect("/" + request.QueryString);
            return Task.CompletedTask;
        }
        return next();
    }

    private static void AddStore(WebApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrEmpty(redis))
        {
            builder.Services.AddSingleton<IGameStore, InMemoryGameStore>();
            return;
        }
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var config = ConfigurationOptions.Parse(redis);
            config.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(config);
        });
        builder.Services.AddSingleton<IGameStore>(sp => new RedisGameStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<GameServerOptions>>().Value.RedisPrefix));
        builder.Services.AddHostedService<RedisPersistenceCheck>();
    }
}
