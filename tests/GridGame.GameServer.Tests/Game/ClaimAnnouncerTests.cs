using GridGame.GameServer.Game;
using GridGame.GameServer.Hubs;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.GameServer.Tests.Game;

/// <summary>The batching of a game's claim announcements, on a fake clock.</summary>
public sealed class ClaimAnnouncerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly List<CellClaimed[]> _sent = [];
    private readonly List<Exception> _failures = [];

    private ClaimAnnouncer Announcer(TimeSpan? interval = null, Func<CellClaimed[], Task>? send = null) =>
        new(interval ?? Interval, _time, send ?? (claims =>
        {
            _sent.Add(claims);
            return Task.CompletedTask;
        }), _failures.Add);

    private static CellClaimed Claim(long seq) => new(0, (int)seq, "alice", (int)seq, seq);

    private long[][] Sent() => [.. _sent.Select(b => b.Select(c => c.Seq).ToArray())];

    [Fact]
    public void A_claim_in_a_quiet_game_goes_out_at_once()
    {
        using var announcer = Announcer();

        announcer.Announce([Claim(1)]);

        Sent().Should().BeEquivalentTo(new[] { new long[] { 1 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Claims_within_the_interval_wait_for_its_end_and_go_out_together_in_order()
    {
        using var announcer = Announcer();
        announcer.Announce([Claim(1)]);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        announcer.Announce([Claim(2), Claim(3)]);
        _time.Advance(TimeSpan.FromMilliseconds(20));
        announcer.Announce([Claim(4)]);
        Sent().Should().HaveCount(1, "the interval since the first message has not passed");

        _time.Advance(TimeSpan.FromMilliseconds(19));
        Sent().Should().HaveCount(1);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Sent().Should().BeEquivalentTo(new[] { new long[] { 1 }, [2, 3, 4] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void After_a_quiet_interval_the_next_claim_goes_out_at_once_again()
    {
        using var announcer = Announcer();
        announcer.Announce([Claim(1)]);
        announcer.Announce([Claim(2)]);
        _time.Advance(Interval);
        _time.Advance(Interval);

        announcer.Announce([Claim(3)]);

        Sent().Should().BeEquivalentTo(new[] { new long[] { 1 }, [2], [3] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Flush_sends_the_waiting_claims_now_and_the_timer_then_sends_nothing_twice()
    {
        using var announcer = Announcer();
        announcer.Announce([Claim(1)]);
        announcer.Announce([Claim(2)]);

        announcer.Flush();
        Sent().Should().BeEquivalentTo(new[] { new long[] { 1 }, [2] }, o => o.WithStrictOrdering());

        _time.Advance(Interval);
        announcer.Flush();
        Sent().Should().HaveCount(2, "nothing was waiting");
    }

    [Fact]
    public void With_no_interval_every_batch_goes_out_at_once()
    {
        using var announcer = Announcer(TimeSpan.Zero);

        announcer.Announce([Claim(1)]);
        announcer.Announce([Claim(2), Claim(3)]);

        Sent().Should().BeEquivalentTo(new[] { new long[] { 1 }, [2, 3] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_failed_send_is_reported_and_later_claims_still_go_out()
    {
        var calls = 0;
        using var announcer = Announcer(TimeSpan.Zero, claims =>
        {
            if (++calls == 1)
            {
                throw new InvalidOperationException("socket gone");
            }
            _sent.Add(claims);
            return calls == 2 ? Task.FromException(new IOException("write failed")) : Task.CompletedTask;
        });

        announcer.Announce([Claim(1)]);
        announcer.Announce([Claim(2)]);
        announcer.Announce([Claim(3)]);

        _failures.Select(f => f.Message).Should().Equal("socket gone", "write failed");
        Sent().Should().BeEquivalentTo(new[] { new long[] { 2 }, [3] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Nothing_is_sent_for_an_empty_batch()
    {
        using var announcer = Announcer();

        announcer.Announce([]);
        announcer.Flush();

        _sent.Should().BeEmpty();
    }
}
