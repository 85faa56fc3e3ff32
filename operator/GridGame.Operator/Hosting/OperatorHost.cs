using GridGame.Operator.Runtime;
using GridGame.Telemetry;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace GridGame.Operator.Hosting;

/// <summary>
/// The whole operator, startable in-process: shared informers, the controllers' queues and workers, leader election,
/// the event recorder, and /healthz /readyz /metrics on Kestrel. Every replica watches and serves HTTP; only the
/// leader runs workers. <see cref="DisposeAsync"/> stops gracefully (the lease is released); <see cref="KillAsync"/>
/// stops without releasing, as a crashed process would.
/// </summary>
internal sealed class OperatorHost : IAsyncDisposable
{
    private readonly OperatorOptions _options;
    private readonly WebApplication _web;
    private readonly InformerFactory _informers;
    private readonly IReadOnlyList<ControllerRunner> _runners;
    private readonly LeaderElection? _election;
    private readonly CancellationTokenSource _leading = new();
    private readonly CancellationTokenSource _watching = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private Task _informerTask = Task.CompletedTask;
    private Task _electionTask = Task.CompletedTask;
    private Task? _stopTask;
    private volatile bool _leaderWithoutElection;

    private OperatorHost(OperatorOptions options, Kubernetes client, OperatorMetrics metrics, EventRecorder events, IReadOnlyList<IController> controllers, WebApplication web, TimeProvider time)
    {
        _options = options;
        _web = web;
        Client = client;
        Metrics = metrics;
        Events = events;
        var loggerFactory = web.Services.GetRequiredService<ILoggerFactory>();
        _logger = loggerFactory.CreateLogger("GridGame.Operator.Host");
        _time = time;
        _informers = new InformerFactory(new ResourceApi(client), options.Namespaces, options.Informers, time, loggerFactory, new InformerReports(metrics, events));
        var services = new ControllerServices(client, options, time, events, _informers, loggerFactory) { MetricsRegistry = metrics.Registry };
        var runners = new List<ControllerRunner>();
        foreach (var controller in controllers)
        {
            var setup = new ControllerSetup(controller.Name, services, new WorkQueue(time, observer: metrics.ForQueue(controller.Name)), new Expectations(time));
            controller.Setup(setup);
            runners.Add(new ControllerRunner(controller, setup, options.ResyncPeriod, loggerFactory.CreateLogger($"GridGame.Operator.Controllers.{controller.Name}"), metrics));
        }

        _runners = runners;
        if (options.LeaderElectionEnabled)
        {
            _election = new LeaderElection(client, options.LeaderElection, time, loggerFactory.CreateLogger("GridGame.Operator.LeaderElection"), metrics);
        }
    }

    public Kubernetes Client { get; }

    public OperatorMetrics Metrics { get; }

    public EventRecorder Events { get; }

    public InformerFactory Informers => _informers;

    /// <summary>This replica's lease identity.</summary>
    public string Identity => _options.LeaderElection.Identity;

    public bool IsLeader => _election?.IsLeader ?? _leaderWithoutElection;

    /// <summary>True once every informer has listed (what /readyz answers).</summary>
    public bool Ready => _informers.All.All(i => i.HasSynced);

    /// <summary>
    /// The informers whose lists and watches have all failed for longer than <see cref="InformerOptions.UnhealthyAfter"/>
    /// (what /healthz reports): a cache that can no longer follow the cluster makes the operator act on a stale
    /// world, so it asks to be restarted rather than carry on quietly.
    /// </summary>
    public IReadOnlyList<string> FailingInformers()
    {
        var now = _time.GetUtcNow();
        return [.. _informers.All
            .Where(i => i.FailingSince is { } since && now - since > _options.Informers.UnhealthyAfter)
            .Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"informer {i.Type} failing for {(now - i.FailingSince!.Value).TotalSeconds:0}s"))];
    }

    /// <summary>The port /healthz /readyz /metrics listen on (the chosen one when started with port 0).</summary>
    public int HttpPort { get; private set; }

    public Uri HttpUri => new($"http://{(_options.HttpAddress is "0.0.0.0" or "::" ? "127.0.0.1" : _options.HttpAddress)}:{HttpPort}/");

    /// <summary>Starts everything and returns at once (caches sync in the background; see <see cref="Ready"/>).</summary>
    public static async Task<OperatorHost> StartAsync(
        OperatorOptions options, KubernetesClientConfiguration configuration, CancellationToken cancellationToken,
        IReadOnlyList<IController>? controllers = null, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var metrics = new OperatorMetrics();
        var client = new Kubernetes(configuration, new ApiMetricsHandler(metrics));
        var web = BuildWeb(options, configureLogging);
        var loggerFactory = web.Services.GetRequiredService<ILoggerFactory>();
        var events = new EventRecorder(client, "gridgame-operator", time, loggerFactory.CreateLogger("GridGame.Operator.Events"));
        var host = new OperatorHost(options, client, metrics, events, controllers ?? ControllerCatalog.Discover(), web, time);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        return host;
    }

    /// <summary>Stops gracefully: workers finish their reconciles, the lease is released, watches and HTTP stop; bounded by the shutdown timeout.</summary>
    public Task StopAsync() => _stopTask ??= StopCoreAsync(release: true);

    /// <summary>Stops without releasing the lease, as SIGKILL would leave it: a standby must wait for it to expire.</summary>
    public Task KillAsync() => _stopTask ??= StopCoreAsync(release: false);

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static WebApplication BuildWeb(OperatorOptions options, Action<ILoggingBuilder>? configureLogging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddDefaultLogLevels();
        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            builder.Logging.AddEcsJsonConsole();
        }

        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddOtlpTracing(builder.Configuration, "gridgame-operator", [OperatorTracing.SourceName]);

        // Signals are the run command's business: it stops this host in order (workers, lease, watches, HTTP).
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(options.HttpAddress), options.HttpPort));
        return builder.Build();
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _web.MapGet("/healthz", () => FailingInformers() is { Count: > 0 } failing
            ? Results.Text(string.Join('\n', failing), statusCode: StatusCodes.Status500InternalServerError)
            : Results.Text("ok"));
        _web.MapGet("/readyz", () => Ready ? Results.Text("ok") : Results.Text("caches not synced", statusCode: StatusCodes.Status503ServiceUnavailable));
        _web.MapMetrics("/metrics", Metrics.Registry);
        await _web.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        HttpPort = new Uri(address).Port;

        _informers.Freeze();
        var informers = _informers.All;
        _informerTask = Task.WhenAll(informers.Select(i => Task.Run(() => i.RunAsync(_watching.Token), CancellationToken.None)));
        if (_election is not null)
        {
            _electionTask = Task.Run(() => _election.RunAsync(LeadAsync, _leading.Token), CancellationToken.None);
        }
        else
        {
            _leaderWithoutElection = true;
            _electionTask = Task.Run(
                async () =>
                {
                    try
                    {
                        await LeadAsync(_leading.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _leaderWithoutElection = false;
                    }
                },
                CancellationToken.None);
        }

        HostLog.Started(_logger, HttpPort, _runners.Count, informers.Count, _options.Namespaces.Count == 0 ? "*" : string.Join(',', _options.Namespaces));
    }

    /// <summary>The leader's work: wait for the caches, then run every controller's workers until leadership ends.</summary>
    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_informers.All.Select(i => i.WaitForSyncAsync(cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Workers run until leadership ends; with no controllers there is still a term to hold.
        var workers = _runners.Select(r => r.RunAsync(_options.Workers, cancellationToken)).Append(Task.Delay(Timeout.Infinite, cancellationToken));
        await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task StopCoreAsync(bool release)
    {
        HostLog.Stopping(_logger, release);
        var stopping = Task.Run(async () =>
        {
            if (_election is not null)
            {
                _election.ReleaseOnCancel = release;
            }

            await _leading.CancelAsync().ConfigureAwait(false);
            await _electionTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var runner in _runners)
            {
                runner.Queue.ShutDown();
            }

            await _watching.CancelAsync().ConfigureAwait(false);
            await _informerTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Events.DisposeAsync().ConfigureAwait(false);
            using var web = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _web.StopAsync(web.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        try
        {
            await stopping.WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
            HostLog.Stopped(_logger);
        }
        catch (TimeoutException)
        {
            HostLog.StopTimedOut(_logger, _options.ShutdownTimeout.TotalSeconds);
        }

        await _web.DisposeAsync().ConfigureAwait(false);
        foreach (var runner in _runners)
        {
            runner.Queue.Dispose();
        }

        Client.Dispose();
        _leading.Dispose();
        _watching.Dispose();
    }

    /// <summary>A host lifetime that leaves signals alone.</summary>
    private sealed class ManualLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal static partial class HostLog
{
    [LoggerMessage(EventId = EventIds.HostStarted, Level = LogLevel.Information, Message = "Operator started: HTTP on port {Port}, {Controllers} controllers, {Informers} informers, namespaces {Namespaces}")]
    public static partial void Started(ILogger logger, int port, int controllers, int informers, string namespaces);

    [LoggerMessage(EventId = EventIds.HostStopping, Level = LogLevel.Information, Message = "Operator stopping (release lease: {Release})")]
    public static partial void Stopping(ILogger logger, bool release);

    [LoggerMessage(EventId = EventIds.HostStopped, Level = LogLevel.Information, Message = "Operator stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = EventIds.HostStopTimedOut, Level = LogLevel.Error, Message = "Operator did not stop within {Seconds} s; exiting anyway")]
    public static partial void StopTimedOut(ILogger logger, double seconds);
}
