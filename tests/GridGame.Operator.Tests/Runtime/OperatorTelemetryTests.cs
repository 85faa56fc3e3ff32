using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Tests.Runtime;

public sealed class OperatorTelemetryTests
{
    private static readonly KubernetesClientConfiguration NoCluster = new() { Host = "http://127.0.0.1:9" };

    [Fact]
    public async Task Probes_and_scrapes_write_no_log_lines()
    {
        var capture = new JsonLogCapture();
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions(), NoCluster, CancellationToken.None, controllers: [], configureLogging: l => l.AddProvider(capture));
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.UntilAsync(() => capture.Lines.Any(l => l.Category == "GridGame.Operator.Host"), "the host's own start line shows the capture works");

        for (var i = 0; i < 10; i++)
        {
            (await http.GetAsync("healthz")).EnsureSuccessStatusCode();
            (await http.GetAsync("readyz")).EnsureSuccessStatusCode();
            (await http.GetAsync("metrics")).EnsureSuccessStatusCode();
        }

        capture.Lines.Where(l => l.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_reconcile_is_a_span_and_its_log_lines_carry_the_trace_id()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == OperatorTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.GetTagItem(OperatorTracing.ControllerTag) as string == TracedController.ControllerName)
                {
                    spans.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var capture = new JsonLogCapture();
        var controller = new TracedController();
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions(), NoCluster, CancellationToken.None, controllers: [controller], configureLogging: l => l.AddProvider(capture));

        controller.Queue!.Add("ns/a");
        await Eventually.UntilAsync(() => !spans.IsEmpty, "the reconcile ends its span");

        var span = spans.Single();
        span.OperationName.Should().Be("traced reconcile");
        span.GetTagItem(OperatorTracing.KeyTag).Should().Be("ns/a");
        var line = capture.Lines.Single(l => l.Category == "GridGame.Operator.Controllers.traced").Line;
        using var json = JsonDocument.Parse(line);
        json.RootElement.GetProperty("trace.id").GetString().Should().Be(span.TraceId.ToHexString());
        json.RootElement.GetProperty("span.id").GetString().Should().Be(span.SpanId.ToHexString());
        json.RootElement.GetProperty("message").GetString().Should().Be("reconciling ns/a");
        json.RootElement.GetProperty("log.level").GetString().Should().Be("info");
        json.RootElement.GetProperty("@timestamp").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
    }

    [Fact]
    public void The_filebeat_config_selects_the_operator_and_every_game_server_by_their_real_labels()
    {
        var root = RepositoryRoot.Path;
        var filebeat = KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(File.ReadAllText(Path.Combine(root, "config", "logging", "filebeat.yaml"))).Data["filebeat.yml"];
        var operatorPod = KubernetesYaml.Deserialize<k8s.Models.V1Deployment>(File.ReadAllText(Path.Combine(root, "config", "operator", "deployment.yaml"))).Spec.Template.Metadata.Labels;

        // Filebeat's kubernetes metadata replaces the dots of label names with underscores.
        static string Field(string label) => "kubernetes.labels." + label.Replace('.', '_');
        operatorPod.Should().Contain("app.kubernetes.io/part-of", "gridgame");
        filebeat.Should().Contain($"equals: {{ {Field("app.kubernetes.io/part-of")}: gridgame }}");
        filebeat.Should().Contain($"has_fields: ['{Field(GridGame.Crds.WellKnown.FleetLabel)}']", "every game server pod carries its fleet's label");
    }

    private sealed class TracedController : IController
    {
        public const string ControllerName = "traced";

        private ILogger? _logger;

        public string Name => ControllerName;

        public WorkQueue? Queue { get; private set; }

        public void Setup(ControllerSetup setup)
        {
            Queue = setup.Queue;
            _logger = setup.Logger;
        }

        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
        {
#pragma warning disable CA1848 // a test's one line
            _logger!.LogInformation("reconciling {Key}", key);
#pragma warning restore CA1848
            return Task.FromResult(ReconcileResult.Done);
        }
    }
}
