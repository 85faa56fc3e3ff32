using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class EventsTests
{
    [Fact]
    public async Task An_events_k8s_io_event_is_a_core_event_too()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "arena.1" },
            Regarding = new V1ObjectReference { Kind = "GameFleet", Name = "arena", NamespaceProperty = "default" },
            Note = "scaled up",
            Reason = "ScaledUp",
            Type = "Normal",
            Action = "Scale",
            ReportingController = "gridgame.io/operator",
            ReportingInstance = "op-1",
            EventTime = DateTime.UtcNow,
        }, "default");
        var core = await api.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=arena,involvedObject.kind=GameFleet");
        core.Items.Should().ContainSingle().Which.Message.Should().Be("scaled up");
        core.Items[0].ReportingComponent.Should().Be("gridgame.io/operator");
    }

    [Fact]
    public async Task A_core_event_is_listed_and_selected_through_events_k8s_io()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "arena.2" },
            InvolvedObject = new V1ObjectReference { Kind = "GameFleet", Name = "arena", NamespaceProperty = "default" },
            Message = "rolled out",
            Reason = "RolloutComplete",
            Type = "Normal",
            Count = 3,
        }, "default");
        var v1 = await api.Client.EventsV1.ListNamespacedEventAsync("default", fieldSelector: "regarding.name=arena");
        var e = v1.Items.Should().ContainSingle().Which;
        (e.Note, e.Reason, e.DeprecatedCount).Should().Be(("rolled out", "RolloutComplete", 3));
        var patched = await api.Client.EventsV1.PatchNamespacedEventAsync(new V1Patch("""{"note":"rolled out again"}""", V1Patch.PatchType.MergePatch), "arena.2", "default");
        patched.Note.Should().Be("rolled out again");
        (await api.Client.CoreV1.ReadNamespacedEventAsync("arena.2", "default")).Message.Should().Be("rolled out again");
    }
}
