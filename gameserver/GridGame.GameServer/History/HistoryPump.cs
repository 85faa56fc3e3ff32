using GridGame.GameServer.Operations;
using GridGame.GameServer.Stores;
using GridGame.Kube;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.History;

/// <summary>
/// Write-behind from the store's event log to the history database: read a batch, write it in one transaction,
/// acknowledge it in the store only after the commit. A database outage leaves the events unacknowledged in the
/// store; they are read again and written when the database is back. Stopping flushes what is left.
/// </summary>
internal sealed class HistoryPump(
    IGameStore store,
    UnwrittenEvents unwritten,
    HistoryWriter writer,
    GameMetrics metrics,
    IOptions<GameServerOptions> options,
    TimeProvider time,
    ILogger<HistoryPump> logger) : BackgroundService
{
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _pumping = new(1, 1);
    private long? _lagMeasuredAt;

    /// <summary>True once the schema has been applied.</summary>
    public bool Migrated { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), time, jitter: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!Migrated)
                {
                    await writer.MigrateAsync(stoppingToken);
                    Migrated = true;
                }
                var written = await PumpOnceAsync(stoppingToken);
                backoff.Reset();
                // Only a full batch means a backlog. Going straight back for a part-filled one would make the pump
                // loop on a handful of events at a time, paying a transaction, a commit and the lag query for each
                // handful: under moderate load that cost more CPU than the claims themselves.
                if (written < options.Value.HistoryBatchSize)
                {
                    await PollDelayAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = backoff.Next();
                HistoryPumpLog.WriteFailed(logger, ex, delay);
                try
                {
                    await backoff.WaitAsync(delay, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Waits for the poll interval, or less when a lost game's events are waiting to be written.</summary>
    private async Task PollDelayAsync(CancellationToken stoppingToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(TimeSpan.FromMilliseconds(options.Value.HistoryPollMs), time, wake.Token);
        await Task.WhenAny(delay, unwritten.WaitForOrphansAsync(wake.Token));
        await wake.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var flushed = Migrated ? await FlushAsync(cancellationToken) : 0;
            HistoryPumpLog.Flushed(logger, flushed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HistoryPumpLog.NotFlushed(logger, ex);
        }
    }

    /// <summary>Writes batches until the store has nothing more for the history; returns how many events were written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        int written;
        do
        {
            written = await PumpOnceAsync(cancellationToken);
            total += written;
        }
        while (written > 0);
        return total;
    }

    /// <summary>
    /// Moves one batch from the store to the history, after the events of games the store lost (which only this
    /// server's memory still has); returns how many events were written.
    /// </summary>
    public async Task<int> PumpOnceAsync(CancellationToken cancellationToken)
    {
        await _pumping.WaitAsync(cancellationToken);
        try
        {
            var orphans = await WriteOrphansAsync(cancellationToken);
            var consumer = options.Value.ServerName ?? Environment.MachineName;
            var batch = await store.ReadForHistoryAsync(consumer, options.Value.HistoryBatchSize, cancellationToken);
            if (batch.Count > 0)
            {
                using var activity = GameTracing.Source.StartActivity("history batch")?.SetTag(GameTracing.EventsTag, batch.Count);
                await writer.WriteAsync(batch, cancellationToken);
                unwritten.Written(batch);
                await store.AcknowledgeAsync(batch, cancellationToken);
                metrics.HistoryWritten.Inc(batch.Count);
            }
            return orphans + batch.Count;
        }
        finally
        {
            await UpdateLagAsync(cancellationToken);
            _pumping.Release();
        }
    }

    private async Task<int> WriteOrphansAsync(CancellationToken cancellationToken)
    {
        var orphans = unwritten.TakeOrphans(options.Value.HistoryBatchSize);
        if (orphans.Count == 0)
        {
            return 0;
        }
        try
        {
            await writer.WriteAsync(orphans, cancellationToken);
        }
        catch
        {
            unwritten.Requeue(orphans);
            throw;
        }
        metrics.HistoryWritten.Inc(orphans.Count);
        return orphans.Count;
    }

    private async Task UpdateLagAsync(CancellationToken cancellationToken)
    {
        // The lag costs a round trip per game with the Redis store: a gauge read every few seconds needs it once a second at most.
        if (_lagMeasuredAt is { } last && time.GetElapsedTime(last) < LagInterval)
        {
            return;
        }
        _lagMeasuredAt = time.GetTimestamp();
        try
        {
            metrics.HistoryLag.Set(await store.HistoryLagAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HistoryPumpLog.LagNotMeasured(logger, ex);
        }
    }
}

internal static partial class HistoryPumpLog
{
    [LoggerMessage(EventId = EventIds.HistoryWriteFailed, Level = LogLevel.Warning, Message = "Writing the game history failed; the events stay in the store and are retried in {Delay}")]
    public static partial void WriteFailed(ILogger logger, Exception ex, TimeSpan delay);

    [LoggerMessage(EventId = EventIds.HistoryFlushed, Level = LogLevel.Information, Message = "History flushed on shutdown ({Events} events)")]
    public static partial void Flushed(ILogger logger, int events);

    [LoggerMessage(EventId = EventIds.HistoryNotFlushed, Level = LogLevel.Warning, Message = "History not fully flushed on shutdown; the rest stays in the store")]
    public static partial void NotFlushed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = EventIds.HistoryLagNotMeasured, Level = LogLevel.Debug, Message = "Could not measure the history lag")]
    public static partial void LagNotMeasured(ILogger logger, Exception ex);
}
