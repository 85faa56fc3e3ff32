using System.Diagnostics;
using Prometheus;

namespace GridGame.Operator.Runtime;

/// <summary>
/// The operator's Prometheus metrics, in a registry of its own so that two operators in one test process
/// do not mix their figures. Served at <c>/metrics</c>.
/// </summary>
internal sealed class OperatorMetrics : IInformerObserver
{
    private readonly Histogram _reconcileDuration;
    private readonly Counter _reconcileErrors;
    private readonly Gauge _queueDepth;
    private readonly Histogram _queueLatency;
    private readonly Counter _queueRetries;
    private readonly Counter _watchRestarts;
    private readonly Counter _decodeErrors;
    private readonly Histogram _apiLatency;
    private readonly Gauge _leader;

    public OperatorMetrics(CollectorRegistry? registry = null)
    {
        Registry = registry ?? Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        var seconds = Histogram.ExponentialBuckets(0.001, 2, 16);
        _reconcileDuration = factory.CreateHistogram(
            "gridgame_operator_reconcile_duration_seconds", "Time spent in one reconcile, by controller and result (done, requeue, error).",
            new HistogramConfiguration { LabelNames = ["controller", "result"], Buckets = seconds });
        _reconcileErrors = factory.CreateCounter(
            "gridgame_operator_reconcile_errors_total", "Reconciles that threw, by controller.", new CounterConfiguration { LabelNames = ["controller"] });
        _queueDepth = factory.CreateGauge(
            "gridgame_operator_workqueue_depth", "Keys waiting for a worker, by controller.", new GaugeConfiguration { LabelNames = ["controller"] });
        _queueLatency = factory.CreateHistogram(
            "gridgame_operator_workqueue_latency_seconds", "Time a key waited in the queue before a worker took it, by controller.",
            new HistogramConfiguration { LabelNames = ["controller"], Buckets = seconds });
        _queueRetries = factory.CreateCounter(
            "gridgame_operator_workqueue_retries_total", "Keys re-queued with back-off after an error, by controller.", new CounterConfiguration { LabelNames = ["controller"] });
        _watchRestarts = factory.CreateCounter(
            "gridgame_operator_watch_restarts_total", "Watches restarted, by resource and reason (timeout, expired, idle, error).",
            new CounterConfiguration { LabelNames = ["resource", "reason"] });
        _decodeErrors = factory.CreateCounter(
            "gridgame_operator_informer_decode_errors_total", "Objects a list or watch delivered that the operator could not read (skipped), by resource.",
            new CounterConfiguration { LabelNames = ["resource"] });
        _apiLatency = factory.CreateHistogram(
            "gridgame_operator_api_request_duration_seconds", "Kubernetes API request latency (to response headers), by verb and status code.",
            new HistogramConfiguration { LabelNames = ["verb", "code"], Buckets = seconds });
        _leader = factory.CreateGauge("gridgame_operator_leader", "Whether this replica holds the leader lease (1) or not (0).");
    }

    public CollectorRegistry Registry { get; }

    public void WatchRestarted(ResourceType type, string reason) => _watchRestarts.WithLabels(type.ToString(), reason).Inc();

    public void Undecodable(ResourceType type, UndecodableObject obj) => _decodeErrors.WithLabels(type.ToString()).Inc();

    public void Reconciled(string controller, string result, TimeSpan duration) =>
        _reconcileDuration.WithLabels(controller, result).Observe(duration.TotalSeconds);

    public void ReconcileFailed(string controller) => _reconcileErrors.WithLabels(controller).Inc();

    public void ApiRequest(string verb, int code, TimeSpan duration) =>
        _apiLatency.WithLabels(verb, code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Observe(duration.TotalSeconds);

    public void Leading(bool leading) => _leader.Set(leading ? 1 : 0);

    public IWorkQueueObserver ForQueue(string controller) => new QueueObserver(this, controller);

    private sealed class QueueObserver(OperatorMetrics metrics, string controller) : IWorkQueueObserver
    {
        public void Depth(int depth) => metrics._queueDepth.WithLabels(controller).Set(depth);

        public void Dequeued(TimeSpan waited) => metrics._queueLatency.WithLabels(controller).Observe(waited.TotalSeconds);

        public void Retried() => metrics._queueRetries.WithLabels(controller).Inc();
    }
}

/// <summary>Times every Kubernetes API request by verb (get, list, watch, create, update, patch, delete) and status code.</summary>
internal sealed class ApiMetricsHandler(OperatorMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var verb = Verb(request);
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            metrics.ApiRequest(verb, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
            return response;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.ApiRequest(verb, 0, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    internal static string Verb(HttpRequestMessage request)
    {
        var query = request.RequestUri?.Query ?? string.Empty;
        return request.Method.Method switch
        {
            "GET" when query.Contains("watch=true", StringComparison.OrdinalIgnoreCase) => "watch",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            var other => other.ToLowerInvariant(),
        };
    }
}
