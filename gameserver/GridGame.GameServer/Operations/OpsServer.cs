using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Prometheus;

namespace GridGame.GameServer.Operations;

/// <summary>
/// <c>/ready</c>, <c>/metrics</c> and <c>/health</c> on a port of their own (<c>GridGame:OpsPort</c>), apart from the
/// game port players reach: what the server says about its store, its games and its load is for the kubelet and
/// Prometheus, and a NetworkPolicy can open this port to them alone. A second Kestrel in the process, so that the game
/// port's pipeline (pages, hub, auth) has no route to these at all.
/// </summary>
internal sealed partial class OpsServer(IServiceProvider services, IOptions<GameServerOptions> options, IConfiguration configuration, ILogger<OpsServer> logger) : IHostedService
{
    private WebApplication? _web;

    /// <summary>Where the ops endpoints are served, once started (the bound port when <c>OpsPort</c> is 0).</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Its requests are probes and scrapes; the server's own log says what they find.
        builder.Logging.ClearProviders();
        var host = HostFor(configuration["urls"]);
        builder.WebHost.ConfigureKestrel(k => k.Listen(host, options.Value.OpsPort));
        var web = builder.Build();
        web.MapGet("/health", () => Results.Text("ok"));
        web.MapGet("/ready", (CancellationToken c) => Readiness.CheckAsync(services, c));
        web.MapMetrics("/metrics", services.GetRequiredService<GameMetrics>().Registry);
        await web.StartAsync(cancellationToken).ConfigureAwait(false);
        _web = web;
        Address = new Uri(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        LogListening(logger, Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_web is { } web)
        {
            await web.StopAsync(cancellationToken).ConfigureAwait(false);
            await web.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The address the ops port listens on: the game's own (its first URL), so a server told to listen on one address
    /// (LocalCluster's node address, a test's loopback) keeps both ports there; any address otherwise.
    /// </summary>
    public static IPAddress HostFor(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null)
        {
            return IPAddress.Any;
        }
        var start = first.IndexOf("://", StringComparison.Ordinal);
        var rest = start < 0 ? first : first[(start + 3)..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']', StringComparison.Ordinal) + 1 : rest.IndexOfAny([':', '/']);
        var host = end <= 0 ? rest : rest[..end];
        return host switch
        {
            "localhost" => IPAddress.Loopback,
            _ when IPAddress.TryParse(host.Trim('[', ']'), out var address) => address,
            _ => IPAddress.Any, // "+", "*" or a host name
        };
    }

    [LoggerMessage(EventId = EventIds.OpsListening, Level = LogLevel.Information, Message = "Serving /ready, /metrics and /health on {Address}")]
    private static partial void LogListening(ILogger logger, Uri address);
}
