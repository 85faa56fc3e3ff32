using System.Text;
using GridGame.LocalCluster.Kubelets;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace GridGame.LocalCluster.Tests.Units;

/// <summary>The log file's runs, tails and markers, the kubelet's choice of instance, and the writer's stamps and limit.</summary>
public sealed class ContainerLogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static string Marker(int restart, int minute = 0) =>
        ContainerLogFile.MarkerLine(T0.AddMinutes(minute).UtcDateTime, "c", restart, ["/bin/sh", "-c", "echo a\necho b"]);

    private static (List<LogRun> Runs, string Text) Scan(string text)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return (ContainerLogFile.Runs(stream, T0.AddDays(-1)), text);
    }

    private static string Slice(string text, LogRun run) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)[(int)run.Start..(int)run.End]);

    [Fact]
    public void A_marker_line_stays_one_line_when_argv_has_line_breaks()
    {
        var marker = Marker(3);

        marker.Count(c => c == '\n').Should().Be(1);
        marker.Should().EndWith("echo a\\necho b\n");
        ContainerLogFile.TryParseMarker(Encoding.UTF8.GetBytes(marker.TrimEnd('\n')), out var started, out var restart).Should().BeTrue();
        (started, restart).Should().Be((T0, 3));
    }

    [Theory]
    [InlineData("--- not a marker")]
    [InlineData("--- 2026-11-29T10:00:00.0000000Z starting container c: no restart count")]
    [InlineData("hello --- 2026-11-29T10:00:00.0000000Z starting container c (restart 0): x")]
    public void Output_that_only_looks_like_a_marker_is_output(string line) =>
        ContainerLogFile.TryParseMarker(Encoding.UTF8.GetBytes(line), out _, out _).Should().BeFalse();

    [Fact]
    public void Each_marker_starts_a_run_holding_what_follows_it()
    {
        var (runs, text) = Scan(Marker(0) + "one\ntwo\n" + Marker(1, 5) + "three\n" + Marker(2, 9) + "partial");

        runs.Select(r => Slice(text, r)).Should().Equal("one\ntwo\n", "three\n", "partial");
        runs.Select(r => r.Started).Should().Equal(T0, T0.AddMinutes(5), T0.AddMinutes(9));
        runs.Select(r => r.Restart).Should().Equal(0, 1, 2);
    }

    [Fact]
    public void A_restart_0_marker_starts_a_new_instance_of_the_pod_and_forgets_the_old_runs()
    {
        var (runs, text) = Scan(Marker(0) + "old\n" + Marker(1) + "old again\n" + Marker(0, 7) + "new\n");

        runs.Select(r => Slice(text, r)).Should().Equal("new\n");
    }

    [Fact]
    public void Output_without_any_marker_is_one_run_started_at_the_fallback_time()
    {
        var (runs, text) = Scan("just\nlines\n");

        runs.Should().ContainSingle().Which.Started.Should().Be(T0.AddDays(-1));
        Slice(text, runs[0]).Should().Be("just\nlines\n");
        Scan("").Runs.Should().BeEmpty();
    }

    [Fact]
    public void A_marker_straddling_the_scan_buffer_is_still_found()
    {
        var filler = new string('x', 64 * 1024 - 10) + "\n";
        var (runs, text) = Scan(Marker(0) + filler + Marker(1) + "after\n");

        runs.Select(r => Slice(text, r)).Should().Equal(filler, "after\n");
    }

    [Theory]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc\n", 0, "")]
    [InlineData("a\nb\nc\n", 3, "a\nb\nc\n")]
    [InlineData("a\nb\nc\n", 10, "a\nb\nc\n")]
    [InlineData("a\nb\nc", 1, "c")]
    [InlineData("a\nb\nc", 2, "b\nc")]
    [InlineData("a\n\n\n", 2, "\n\n")]
    [InlineData("", 5, "")]
    public void Tail_starts_at_the_last_lines(string content, long lines, string expected)
    {
        var prefix = "before\n";
        var bytes = Encoding.UTF8.GetBytes(prefix + content);
        using var stream = new MemoryStream(bytes);

        var start = ContainerLogFile.TailStart(stream, prefix.Length, bytes.Length, lines);

        Encoding.UTF8.GetString(bytes[(int)start..]).Should().Be(expected);
    }

    [Fact]
    public void Tail_counts_lines_across_its_read_buffer()
    {
        var line = new string('y', 1000) + "\n";
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, 100)));
        using var stream = new MemoryStream(bytes);

        var start = ContainerLogFile.TailStart(stream, 0, bytes.Length, 40);

        start.Should().Be(60 * line.Length);
    }

    [Theory]
    [InlineData("a\nb\n", true, 4, false)]
    [InlineData("a\nb", true, 3, false)]
    [InlineData("a\n--- 2026", true, 2, false)]
    [InlineData("a\n--", true, 2, false)]
    [InlineData("--- 2026", false, 8, false)]
    [InlineData("a\n---x\n", true, 7, false)]
    [InlineData("a\n--- 2026-11-29T10:00:00.0000000Z starting container c (restart 1): sh\nb\n", true, 2, true)]
    public void Writable_stops_at_a_marker_and_holds_back_a_line_that_may_become_one(string chunk, bool atLineStart, int writable, bool ended) =>
        ContainerLogFile.Writable(Encoding.UTF8.GetBytes(chunk), atLineStart).Should().Be((writable, ended));

    private static V1ContainerState Running => new() { Running = new V1ContainerStateRunning() };

    private static V1ContainerState Terminated => new() { Terminated = new V1ContainerStateTerminated { ExitCode = 1 } };

    private static V1ContainerState Waiting(string reason) => new() { Waiting = new V1ContainerStateWaiting { Reason = reason } };

    public static TheoryData<string, V1ContainerState?, V1ContainerState?, int, bool, int, string?> Picks => new()
    {
        { "running, first run", Running, null, 1, false, 0, null },
        { "running after restarts", Running, Terminated, 3, false, 2, null },
        { "running, previous", Running, Terminated, 3, true, 1, null },
        { "running, no previous", Running, null, 1, true, -1, "previous terminated container \"c\" in pod \"p\" not found" },
        { "terminated, served", Terminated, Terminated, 1, false, 0, null },
        { "crash-loop back-off serves the last run", Waiting("CrashLoopBackOff"), Terminated, 4, false, 3, null },
        { "crash-loop back-off: previous is the last run too", Waiting("CrashLoopBackOff"), Terminated, 4, true, 3, null },
        { "never started", Waiting("ContainerCreating"), null, 0, false, -1, "container \"c\" in pod \"p\" is waiting to start: ContainerCreating" },
        { "image not mapped", Waiting("ErrImageNeverPull"), null, 0, false, -1, "container \"c\" in pod \"p\" is waiting to start: ErrImageNeverPull" },
        { "old instance's file, new instance not started", Waiting("ContainerCreating"), null, 2, false, -1, "container \"c\" in pod \"p\" is waiting to start: ContainerCreating" },
        { "never started, previous", Waiting("ContainerCreating"), null, 0, true, -1, "previous terminated container \"c\" in pod \"p\" not found" },
        { "no kubelet state, only the file", null, null, 2, false, 1, null },
        { "no kubelet state, previous", null, null, 2, true, 0, null },
    };

    [Theory]
    [MemberData(nameof(Picks))]
    public void The_kubelet_picks_the_instance_from_the_container_state(string why, V1ContainerState? state, V1ContainerState? last, int runs, bool previous, int run, string? error) =>
        LogSelection.Pick("p", "c", state, last, runs, previous).Should().Be((run, error), why);

    [Fact]
    public async Task Timestamps_prefix_every_line_with_nine_fraction_digits()
    {
        using var output = new MemoryStream();
        var writer = new LogLineWriter(output, timestamps: true, limitBytes: null);

        await writer.WriteAsync(Encoding.UTF8.GetBytes("a\nb"), T0.AddTicks(1234567), CancellationToken.None);
        await writer.WriteAsync(Encoding.UTF8.GetBytes("c\nd\n"), T0.AddMinutes(1), CancellationToken.None);

        Encoding.UTF8.GetString(output.ToArray()).Should().Be(
            "2026-11-29T10:00:00.123456700Z a\n2026-11-29T10:00:00.123456700Z bc\n2026-11-29T10:01:00.000000000Z d\n");
        writer.AtLineStart.Should().BeTrue();
    }

    [Theory]
    [InlineData(false, 3, "abc", true)]
    [InlineData(false, 8, "abc\ndef\n", true)]
    [InlineData(false, 100, "abc\ndef\n", false)]
    [InlineData(true, 33, "2026-11-29T10:00:00.000000000Z ab", true)]
    public async Task LimitBytes_cuts_the_output_prefixes_included(bool timestamps, long limit, string expected, bool full)
    {
        using var output = new MemoryStream();
        var writer = new LogLineWriter(output, timestamps, limit);

        var more = await writer.WriteAsync(Encoding.UTF8.GetBytes("abc\ndef\n"), T0, CancellationToken.None);

        Encoding.UTF8.GetString(output.ToArray()).Should().Be(expected);
        writer.Full.Should().Be(full);
        more.Should().Be(!full);
    }

    private static IQueryCollection Query(string query) => new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query));

    [Theory]
    [InlineData("tailLines=-1", "tailLines: Invalid value: -1: must be greater than or equal to 0")]
    [InlineData("limitBytes=0", "limitBytes: Invalid value: 0: must be greater than 0")]
    [InlineData("sinceSeconds=0", "sinceSeconds: Invalid value: 0: must be greater than 0")]
    [InlineData("sinceSeconds=5&sinceTime=2026-11-29T10:00:00Z", ": at most one of `sinceTime` or `sinceSeconds` may be specified")]
    [InlineData("tailLines=0&limitBytes=1&sinceSeconds=1", null)]
    public void Options_are_validated_as_the_api_server_validates_PodLogOptions(string query, string? error)
    {
        var (options, decodeError) = LogOptions.Parse(Query(query));

        decodeError.Should().BeNull();
        var errors = options!.Validate().Select(e => $"{e.Field}: {(e.Value is null ? "" : $"Invalid value: {e.Value}: ")}{e.Detail}");
        if (error is null)
        {
            errors.Should().BeEmpty();
        }
        else
        {
            errors.Should().Equal(error);
        }
    }

    [Theory]
    [InlineData("follow=true&previous=1&timestamps=T", true, true, true)]
    [InlineData("follow=false&timestamps=0", false, false, false)]
    [InlineData("", false, false, false)]
    public void Booleans_decode_as_Go_parses_them(string query, bool follow, bool previous, bool timestamps)
    {
        var (options, _) = LogOptions.Parse(Query(query));

        (options!.Follow, options.Previous, options.Timestamps).Should().Be((follow, previous, timestamps));
    }

    [Theory]
    [InlineData("follow=yes")]
    [InlineData("tailLines=ten")]
    [InlineData("sinceTime=yesterday")]
    public void Undecodable_options_are_refused(string query) =>
        LogOptions.Parse(Query(query)).Error.Should().StartWith("Unable to decode query: ");

    [Fact]
    public void SinceSeconds_counts_back_from_now_and_sinceTime_is_absolute()
    {
        LogOptions.Parse(Query("sinceSeconds=60")).Options!.Since(T0).Should().Be(T0.AddMinutes(-1));
        LogOptions.Parse(Query("sinceTime=2026-11-29T09:00:00Z")).Options!.Since(T0).Should().Be(T0.AddHours(-1));
        LogOptions.Parse(Query("")).Options!.Since(T0).Should().BeNull();
    }

    [Fact]
    public void Unused_query_values_do_not_matter() =>
        LogOptions.Parse(new QueryCollection(new Dictionary<string, StringValues> { ["container"] = "x", ["pretty"] = "true" })).Options.Should().NotBeNull();
}
