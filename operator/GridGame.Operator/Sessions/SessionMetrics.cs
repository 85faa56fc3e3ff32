using Prometheus;

namespace GridGame.Operator.Sessions;

/// <summary>The session controller's Prometheus metrics: allocations by result, latency, pending sessions.</summary>
internal sealed class SessionMetrics
{
    private readonly Counter _allocations;
    private readonly Histogram _latency;
    private readonly Gauge _pending;

    public SessionMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _allocations = factory.CreateCounter(
            "gridgame_allocations_total", "Sessions that left Pending, by result (Allocated, Unallocatable, FleetNotFound, Invalid).",
            new CounterConfiguration { LabelNames = ["result"] });
        _latency = factory.CreateHistogram(
            "gridgame_allocation_duration_seconds", "Time from a session's creation to its Allocated status.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _pending = factory.CreateGauge("gridgame_sessions_pending", "Sessions waiting for a server.");
    }

    public void Allocated(TimeSpan latency)
    {
        _allocations.WithLabels("Allocated").Inc();
        _latency.Observe(Math.Max(0, latency.TotalSeconds));
    }

    public void Failed(string reason) => _allocations.WithLabels(reason).Inc();

    public void Pending(int count) => _pending.Set(count);
}
