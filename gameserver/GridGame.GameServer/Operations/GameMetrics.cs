using Prometheus;

namespace GridGame.GameServer.Operations;

/// <summary>The server's Prometheus metrics, in a registry of its own (so several servers in one test process do not mix).</summary>
internal sealed class GameMetrics
{
    public GameMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Connections = factory.CreateGauge("websocket_connections_active", "SignalR connections open to the game hub.");
        Actions = factory.CreateCounter("game_actions_total", "Game actions handled, by type (join, claim, leave, refused).",
            new CounterConfiguration { LabelNames = ["action_type"] });
        Claims = Actions.WithLabels("claim");
        Refused = Actions.WithLabels("refused");
        Refusals = factory.CreateCounter("game_refusals_total", "Calls and connections refused, by reason (a refusal is an expected outcome, logged at Debug only).",
            new CounterConfiguration { LabelNames = ["reason"] });
        ClaimDuration = factory.CreateHistogram("game_cell_claim_duration_seconds", "Time to check and store one cell claim, until its answer (the other players see it at their game's next announcement).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        GamesActive = factory.CreateGauge("games_active_total", "Games open on this server that are not finished.");
        HistoryLag = factory.CreateGauge("game_history_lag_events", "Game events stored but not yet written to the history database.");
        HistoryWritten = factory.CreateCounter("game_history_events_written_total", "Game events written to the history database.");
    }

    public CollectorRegistry Registry { get; }

    public Gauge Connections { get; }

    public Counter Actions { get; }

    /// <summary>The <c>claim</c> child of <see cref="Actions"/>, looked up once for the hot path.</summary>
    public Counter.Child Claims { get; }

    /// <summary>The <c>refused</c> child of <see cref="Actions"/>: the hub and the games both count refusals.</summary>
    public Counter.Child Refused { get; }

    /// <summary>Refusals by reason: the labels come from <c>Hubs.RefusalReasons</c>, a fixed set, never from what a client sent.</summary>
    public Counter Refusals { get; }

    public Histogram ClaimDuration { get; }

    public Gauge GamesActive { get; }

    public Gauge HistoryLag { get; }

    public Counter HistoryWritten { get; }
}
