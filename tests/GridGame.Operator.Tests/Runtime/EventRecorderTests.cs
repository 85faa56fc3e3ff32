using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class EventRecorderTests : IAsyncLifetime
{
    private LocalApi _api = null!;

    public async Task InitializeAsync() => _api = await LocalApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Repeated_events_are_counted_not_duplicated()
    {
        await using var events = new EventRecorder(_api.Client, "gridgame-operator");
        var map = await SubjectAsync();

        for (var i = 0; i < 3; i++)
        {
            events.RecordNormal(map, "ScaledUp", "scaled to 3");
        }

        events.RecordWarning(map, "RolloutFailed", "green not ready");
        await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var written = await EventsAboutAsync("subject");
        written.Should().HaveCount(2);
        var scaled = written.Single(e => e.Reason == "ScaledUp");
        scaled.Count.Should().Be(3);
        scaled.Type.Should().Be("Normal");
        scaled.Message.Should().Be("scaled to 3");
        scaled.InvolvedObject.Kind.Should().Be("ConfigMap");
        scaled.InvolvedObject.Uid.Should().Be(map.Metadata.Uid);
        scaled.LastTimestamp.Should().BeOnOrAfter(scaled.FirstTimestamp!.Value);
        scaled.Source.Component.Should().Be("gridgame-operator");
        written.Single(e => e.Reason == "RolloutFailed").Type.Should().Be("Warning");
        events.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task Events_beyond_the_rate_limit_are_dropped_not_queued_forever()
    {
        await using var events = new EventRecorder(_api.Client, "gridgame-operator", perSecond: 0.001, burst: 2);
        var map = await SubjectAsync();

        for (var i = 0; i < 5; i++)
        {
            events.RecordNormal(map, "Step", $"step {i}");
        }

        await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        (await EventsAboutAsync("subject")).Should().HaveCount(2);
        events.Dropped.Should().Be(3);
    }

    [Fact]
    public async Task Recording_never_throws_even_when_the_api_is_down()
    {
        await using var events = new EventRecorder(_api.Client, "gridgame-operator");
        var pod = PodBuilder.Pod("p");

        await _api.RestartAsync(whileDown: async () =>
        {
            var act = () => events.RecordWarning(pod, "Unhealthy", "probe failed");

            act.Should().NotThrow();
            await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            events.Dropped.Should().Be(1);
        });
    }

    [Fact]
    public async Task An_event_deleted_on_the_server_is_created_again_on_the_next_repeat()
    {
        await using var events = new EventRecorder(_api.Client, "gridgame-operator");
        var map = await SubjectAsync();
        events.RecordNormal(map, "ScaledUp", "scaled to 3");
        await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var first = (await EventsAboutAsync("subject")).Single();
        await _api.Client.CoreV1.DeleteNamespacedEventAsync(first.Metadata.Name, "default");

        events.RecordNormal(map, "ScaledUp", "scaled to 3");
        await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var again = (await EventsAboutAsync("subject")).Single();
        again.Count.Should().Be(1);
        events.Dropped.Should().Be(0);
    }

    private async Task<V1ConfigMap> SubjectAsync()
    {
        var map = await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "subject" } }, "default");
        map.ApiVersion = "v1";
        map.Kind = "ConfigMap";
        return map;
    }

    private async Task<List<Corev1Event>> EventsAboutAsync(string name) =>
        [.. (await _api.Client.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.InvolvedObject.Name == name)];
}
