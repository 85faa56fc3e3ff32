using System.Runtime.InteropServices;

namespace GridGame.GameServer.Operations;

/// <summary>
/// The host's lifetime in place of the console lifetime: on SIGTERM (or Ctrl-C, SIGQUIT) it drains first, then stops
/// the application. The console lifetime stops the application at once, and stopping fires ApplicationStopping, on
/// which SignalR closes every connection: players would lose their connection before being told the server drains.
/// A second signal stops at once.
/// </summary>
internal sealed partial class DrainingLifetime(
    DrainService drainService,
    IHostApplicationLifetime lifetime,
    ILogger<DrainingLifetime> logger) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Handled here: the runtime's default action would end the process before the host stops.
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1)
        {
            lifetime.StopApplication();
            return;
        }
        Log.Draining(logger, context.Signal.ToString(), null);
        _ = DrainThenStopAsync();
    }

    private async Task DrainThenStopAsync()
    {
        try
        {
            await drainService.DrainAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.DrainFailed(logger, ex);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DrainOnSignal, Level = LogLevel.Information, Message = "{Signal}: draining before the server stops")]
        public static partial void Draining(ILogger logger, string signal, Exception? ex);

        [LoggerMessage(EventId = EventIds.DrainFailed, Level = LogLevel.Error, Message = "The drain failed; stopping anyway")]
        public static partial void DrainFailed(ILogger logger, Exception ex);
    }
}
