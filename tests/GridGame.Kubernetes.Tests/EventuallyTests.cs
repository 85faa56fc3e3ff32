namespace GridGame.Kube.Tests;

/// <summary>
/// The tests' one polling helper (GridGame.Testing), tested here beside the other shared code: it needs no services
/// and this project builds in seconds.
/// </summary>
public sealed class EventuallyTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Waits_until_the_condition_holds_and_no_longer()
    {
        var probes = 0;

        await Eventually.UntilAsync(() => ++probes == 3, "the third probe");

        probes.Should().Be(3);
    }

    [Fact]
    public async Task A_probe_that_throws_has_not_held_yet()
    {
        var probes = 0;

        var value = await Eventually.ValueAsync(() => ++probes < 3 ? throw new InvalidOperationException("not started") : Task.FromResult<string?>("up"), "the server answers");

        value.Should().Be("up");
        probes.Should().Be(3);
    }

    [Fact]
    public async Task Returns_the_first_value_that_satisfies_the_condition()
    {
        var probes = 0;

        var value = await Eventually.ValueAsync(() => Task.FromResult(++probes), n => n >= 4, TimeSpan.FromSeconds(10), "four probes");

        value.Should().Be(4);
    }

    [Fact]
    public async Task A_timeout_names_what_was_awaited_for_how_long_and_the_last_value()
    {
        var answer = 41;

        var wait = () => Eventually.UntilAsync(() => answer == 42, "the answer arrives", Short);

        var failure = (await wait.Should().ThrowAsync<TimeoutException>()).Which;
        failure.Message.Should().StartWith("not within 0.2 s: the answer arrives")
            .And.Contain("waited for: () => answer == 42")
            .And.Contain("last value false");
    }

    [Fact]
    public async Task A_timeout_shows_the_last_value_as_json_and_the_last_error_as_the_cause()
    {
        var valued = () => Eventually.ValueAsync(() => Task.FromResult(new Fleet("arena", 2)), f => f.Ready == 3, "3 Ready", Short);
        (await valued.Should().ThrowAsync<TimeoutException>()).Which.Message.Should().Contain("""last value {"Name":"arena","Ready":2}""");

        static bool Refused() => throw new InvalidOperationException("connection refused");
        var failing = () => Eventually.UntilAsync(Refused, "the server answers", Short);
        var failure = (await failing.Should().ThrowAsync<TimeoutException>()).Which;
        failure.Message.Should().Contain("last error InvalidOperationException: connection refused");
        failure.InnerException.Should().BeOfType<InvalidOperationException>();
    }

    [Fact]
    public async Task A_probe_that_never_answers_does_not_hang_the_test()
    {
        var hung = new TaskCompletionSource<bool>();

        var wait = () => Eventually.UntilAsync(() => hung.Task, "an answer", Short);

        await wait.Should().ThrowAsync<TimeoutException>().WithMessage("not within 0.2 s: an answer*");
    }

    private sealed record Fleet(string Name, int Ready);
}
