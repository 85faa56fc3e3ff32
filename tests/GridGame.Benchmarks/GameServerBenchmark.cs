using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.GameServer;
using GridGame.GameServer.Hubs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace GridGame.Benchmarks;

/// <summary>
/// Claim throughput and round-trip latency for 100 games × 10 players on one game server (in-memory and Redis
/// stores, JSON and MessagePack), beside a trivial echo hub on the same server (the ceiling), and the server's memory
/// per idle connection. Clients and server share this machine; the server runs in a process of its own, as in
/// production (the hidden <c>serve-gameserver</c> mode for throughput, the game server's own executable for memory).
/// </summary>
internal sealed class GameServerBenchmark : IBenchmarkSuite
{
    private const string SigningKey = "benchmark-signing-key-that-is-long-enough-for-hs256";
    private const int Games = 100;
    private const int PlayersPerGame = 10;
    private const int BoardSize = 64;
    private const int Cells = BoardSize * BoardSize;

    // The warm-up's bounds, from runs that warmed up for 60 s on this 2-core machine (load 5-6): at its own load the
    // server compiles 300-1,400 methods a second at first and the hot path is done after 10-16 s; then come bursts of
    // 100-600 methods around 25-35 s and 45-60 s, the code that runs about once a second (timers, the history pump)
    // reaching its tiering thresholds (in the Redis rows mostly the history pump: EF Core, Npgsql), which the quiet
    // seconds alone do not foresee: rows that stopped at 20-27 s had 400-670 ms of JIT in their window, rows that ran
    // 45 s had 25-65 ms. Hence at least 30 s, then five quiet seconds.
    private const double WarmupMinSeconds = 30;
    private const double WarmupMaxSeconds = 45;
    private const int SettledMethodsPerSecond = 10;
    private const int SettledSeconds = 5;

    // The measured games' load before their window opens (calls due in it are not measured).
    private const double PrerollSeconds = 2;

    /// <summary>The shared ArrayPool's arrays per size per core, which Dockerfile.gameserver sets for the game server.</summary>
    private const string ServerArrayPoolVariable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    public string Name => "gameserver";

    public string Description => "claims/s and p50/p99 claim round trip, 100 games x 10 players; echo ceiling; memory per idle connection";

    /// <summary>A fixed-rate diagnostic run (GG_BENCH_HALF_RATE) prints its rows and leaves the recorded section alone.</summary>
    public bool Records => FixedHalfRate() is null;

    public string Command => "eval \"$(scripts/test-services.sh start)\"; dotnet run -c Release --project tests/GridGame.Benchmarks -- gameserver [seconds] [idle connections] [only]";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var idle = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000;
        var only = args.Length > 2 ? args[2] : null;
        var redis = Environment.GetEnvironmentVariable("GRIDGAME_TEST_REDIS");
        var postgres = Environment.GetEnvironmentVariable("GRIDGAME_TEST_POSTGRES");
        // Every column goes to the console; docs/benchmarks.md gets the figures a reader compares (figures).
        var report = new StringBuilder()
            .Append("| hub / store | protocol | load | calls/s | p50 ms | p99 ms | p99 sent ms | announce p50 ms | announce p99 ms | server CPU µs/call | client CPU µs/call | Redis CPU µs/call | PostgreSQL CPU µs/call | cores busy | server KiB/call | client KiB/call | server GCs (gen2) | server GC pause ms | client GC pause ms | warm-up s | server JIT ms (methods; share of server CPU) |\n")
            .Append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        var figures = new StringBuilder()
            .Append("| hub / store | protocol | load | calls/s | p50 ms | p99 ms | announce p99 ms | server CPU µs/call | client CPU µs/call | cores busy | server KiB/call |\n")
            .Append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        void Add(string name, string protocol, string load, Result result, bool echo = false)
        {
            report.Append(Row(name, protocol, load, result, echo));
            figures.Append(CompactRow(name, protocol, load, result, echo));
        }

        // Every server gets fresh state (its own Redis prefix and database), so no run recovers the games of the one before.
        var stores = new List<(string Name, Func<Task<Dictionary<string, string?>>> Settings)> { ("game / in-memory", () => Task.FromResult(new Dictionary<string, string?>())) };
        if (!string.IsNullOrEmpty(redis))
        {
            stores.Add((string.IsNullOrEmpty(postgres) ? "game / Redis (+SQLite history)" : "game / Redis (+PostgreSQL history)", async () =>
            {
                var settings = new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis, ["GridGame:RedisPrefix"] = "bench" + Guid.NewGuid().ToString("N")[..8] };
                if (!string.IsNullOrEmpty(postgres))
                {
                    settings["ConnectionStrings:Postgres"] = await CreateDatabaseAsync(postgres);
                }
                return settings;
            }));
        }
        else
        {
            figures.Insert(0, "GRIDGAME_TEST_REDIS was not set: the Redis rows are missing.\n\n");
        }

        var gc = "?";
        var aims = new StringBuilder()
            .Append("| store | protocol | claims / echo at peak (aim ≥ 50%) | p99 at half of peak (aim ≤ 20 ms) |\n")
            .Append("| --- | --- | ---: | ---: |\n");
        foreach (var messagePack in new[] { false, true })
        {
            var protocol = messagePack ? "MessagePack" : "JSON";
            if (!Selected(only, protocol))
            {
                continue;
            }
            if (FixedHalfRate() is { } fixedRate)
            {
                // Diagnostics (GG_BENCH_HALF_RATE=n): only the open loop, at n claims a second, so that an A/B compares
                // two settings at one load instead of at half of two peaks that differ by the machine's noise.
                foreach (var (name, settings) in stores.Where(s => Selected(only, s.Name)))
                {
                    await using var fixedServer = await ServerProcess.StartAsync(await settings(), cancellationToken);
                    var result = await RunLoadAsync(fixedServer, echo: false, messagePack, seconds, rate: fixedRate, cancellationToken);
                    report.Append(Row(name, protocol, $"{fixedRate:F0}/s", result));
                    Console.WriteLine($"{name} {protocol}: {fixedRate:F0}/s p99 {result.P99:F2} ms (from send {result.P99Sent:F2} ms)");
                }
                continue;
            }
            Result echoPeak;
            await using (var server = await ServerProcess.StartAsync(new Dictionary<string, string?>(), cancellationToken))
            {
                gc = server.GcMode;
                echoPeak = await RunLoadAsync(server, echo: true, messagePack, seconds, rate: null, cancellationToken);
                Add("echo (ceiling)", protocol, "peak", echoPeak, echo: true);
            }
            if (Selected(only, "echo"))
            {
                // The driver's own floor: the echo hub paced exactly as the claims are at half of their peak.
                await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>(), cancellationToken);
                var echoHalf = await RunLoadAsync(server, echo: true, messagePack, seconds, rate: echoPeak.PerSecond / 2, cancellationToken);
                Add("echo (ceiling)", protocol, "half of peak", echoHalf, echo: true);
            }
            foreach (var (name, settings) in stores.Where(s => Selected(only, s.Name)))
            {
                Result peak;
                // Stopped before the next run: a server left running would still be writing its history backlog
                // into the half-of-peak measurement.
                await using (var server = await ServerProcess.StartAsync(await settings(), cancellationToken))
                {
                    peak = await RunLoadAsync(server, echo: false, messagePack, seconds, rate: null, cancellationToken);
                }
                Add(name, protocol, "peak", peak);
                Result half;
                await using (var halfServer = await ServerProcess.StartAsync(await settings(), cancellationToken))
                {
                    half = await RunLoadAsync(halfServer, echo: false, messagePack, seconds, rate: peak.PerSecond / 2, cancellationToken);
                }
                Add(name, protocol, "half of peak", half);
                await using (var quarterServer = await ServerProcess.StartAsync(await settings(), cancellationToken))
                {
                    // Where the knee is: the same open loop at a quarter of the peak.
                    Add(name, protocol, "quarter of peak", await RunLoadAsync(quarterServer, echo: false, messagePack, seconds, rate: peak.PerSecond / 4, cancellationToken));
                }
                aims.Append(CultureInfo.InvariantCulture,
                    $"| {name} | {protocol} | {100 * peak.PerSecond / echoPeak.PerSecond:F0}% | {half.P99:F1} ms |\n");
                Console.WriteLine($"{name} {protocol}: peak {peak.PerSecond:F0}/s, half p99 {half.P99:F2} ms (from send {half.P99Sent:F2} ms)");
            }
        }

        var idleMemory = idle > 0 ? await IdleMemoryAsync(idle, cancellationToken) : "";
        if (FixedHalfRate() is not null)
        {
            return report.Append('\n').Append(idleMemory).ToString();
        }
        Console.WriteLine(report.ToString());
        figures.Append('\n')
            .Append(CultureInfo.InvariantCulture, $"{Games} games × {PlayersPerGame} players; the server in its own process (GC: {gc}), the clients in the benchmark's, on the same cores. ")
            .Append("Peak is a closed loop; half and quarter of peak are open loops at that share of the peak just measured, latency from each call's scheduled send. ")
            .Append("Announce: a claim's send to its arrival at another player of the game. Cores busy: server, clients, Redis and PostgreSQL together.\n\n")
            .Append(aims)
            .Append('\n').Append(idleMemory);
        return figures.ToString();
    }

    private static double? FixedHalfRate() =>
        double.TryParse(Environment.GetEnvironmentVariable("GG_BENCH_HALF_RATE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0 ? rate : null;

    /// <summary>
    /// Whether a part of the run (a protocol, "echo", "memory" or a store's name) is in <paramref name="only"/>, a
    /// comma-separated list of filters that must all admit it: a protocol admits every row of that protocol; "echo",
    /// "memory" or "redis" admit those rows in both protocols (the echo peak always runs, it is the ceiling the others
    /// are compared with).
    /// </summary>
    private static bool Selected(string? only, string part) => only is null || only.Split(',').All(filter => SelectedBy(filter, part));

    private static bool SelectedBy(string? only, string part) => only switch
    {
        null => true,
        "JSON" or "MessagePack" => part is "JSON" or "MessagePack" ? part == only : part != "echo",
        _ => part is "JSON" or "MessagePack" || part.Contains(only, StringComparison.OrdinalIgnoreCase),
    };

    private static string Row(string name, string protocol, string load, Result r, bool echo = false) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {protocol} | {load} | {r.PerSecond:F0}{(r.RanOut > 0 ? $" ({r.RanOut} players ran out of cells)" : "")} | {r.P50:F2} | {r.P99:F2} | {r.P99Sent:F2} | {Announce(r.AnnounceP50, echo)} | {Announce(r.AnnounceP99, echo)} | {r.Server.CpuMicros:F0} | {r.Client.CpuMicros:F0} | {r.Machine.RedisMicros:F0} | {r.Machine.PostgresMicros:F0} | {(r.Server.CpuMicros + r.Client.CpuMicros + r.Machine.RedisMicros + r.Machine.PostgresMicros) * r.PerSecond / 1e6:F2} | {r.Server.KiB:F1} | {r.Client.KiB:F1} | {r.Server.Collections} ({r.Server.Gen2}) | {r.Server.GcPauseMs:F0} | {r.Client.GcPauseMs:F0} | {r.Warmup.Seconds:F1} | {r.Server.JitMs:F0} ({r.Server.JitMethods}; {r.Server.JitShare * 100:F1}%) |\n");

    private static string CompactRow(string name, string protocol, string load, Result r, bool echo) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {protocol} | {load} | {r.PerSecond:F0}{(r.RanOut > 0 ? $" ({r.RanOut} players ran out of cells)" : "")} | {r.P50:F2} | {r.P99:F2} | {Announce(r.AnnounceP99, echo)} | {r.Server.CpuMicros:F0} | {r.Client.CpuMicros:F0} | {(r.Server.CpuMicros + r.Client.CpuMicros + r.Machine.RedisMicros + r.Machine.PostgresMicros) * r.PerSecond / 1e6:F2} | {r.Server.KiB:F1} |\n");

    private static string Announce(double? ms, bool echo) => echo ? "—" : ms is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "none";

    /// <summary>
    /// Connects every player, warms the server up at the row's own load until its JIT has settled (in sessions of
    /// their own, so the measured games start with empty boards), joins the measured games, then measures claims
    /// (or echoes) for the given time.
    /// </summary>
    private static async Task<Result> RunLoadAsync(ServerProcess server, bool echo, bool messagePack, int seconds, double? rate, CancellationToken cancellationToken)
    {
        var players = new List<Player>();
        // One observer per game (player index 0) times the claims of the others until they reach it in a CellsClaimed.
        var announces = echo ? [] : Enumerable.Range(0, Games).Select(_ => new AnnounceRecorder(PlayerName(0))).ToArray();
        try
        {
            var session = "bench-" + Guid.NewGuid().ToString("N")[..6];
            for (var g = 0; g < Games; g++)
            {
                for (var p = 0; p < PlayersPerGame; p++)
                {
                    var observer = !echo && p == 0 ? announces[g] : null;
                    players.Add(new Player(Connect(server.BaseUrl, echo ? "/hubs/echo" : GameHub.Path, PlayerName(p), messagePack, observer), g, p, echo ? null : announces[g]));
                }
            }
            foreach (var batch in players.Chunk(50))
            {
                await Task.WhenAll(batch.Select(p => p.Connection.StartAsync(cancellationToken)));
            }

            var interval = rate is { } r ? (long)(players.Count / r * Stopwatch.Frequency) : 0;
            var warmup = await WarmUpAsync(server, players, echo, $"{session}-w", interval, cancellationToken);
            if (!echo)
            {
                await JoinAsync(players, p => $"{session}-{p.Game}", cancellationToken);
                // The joins push the join path's methods over their tiering thresholds; they are recompiled a moment
                // later, which would be inside the window.
                await JitSettledAsync(server, cancellationToken);
            }

            // The load generator's own garbage must not be collected inside the window: the players' latency lists
            // (16 MB), allocated as the window opened, were copied by a client GC 0.2-0.3 s into it that paused every
            // player for up to 55 ms, and the 0.5% of calls due then were charged for it. So they are allocated now,
            // and two full collections move them (and whatever the warm-up and the joins left) to gen2 beforehand.
            var records = players.Select(_ => new PlayerRecord()).ToArray();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            // The load starts from idle (the joins, then the JIT's quiet half second), and the step from idle to the
            // row's load is not the steady state the row is about: the window opens after a pre-roll at that load.
            // The counters are read before it (a reading as the window opened came with a burst of slow calls), so the
            // CPU and allocation per call are over the pre-roll's calls and the window's, both at the row's load.
            var serverBefore = await server.CountersAsync(cancellationToken);
            var clientBefore = Counters.OfThisProcess();
            var machineBefore = MachineCounters.Read();
            using var allocations = Environment.GetEnvironmentVariable("GG_BENCH_ALLOCS") == "1" ? new AllocationSampler() : null;
            var started = Stopwatch.GetTimestamp();
            var measureFrom = started + (long)(PrerollSeconds * Stopwatch.Frequency);
            var window = new Window(measureFrom + (long)(seconds * Stopwatch.Frequency), measureFrom);
            var drivers = Task.WhenAll(players.Select((p, i) => Task.Run(() => DriveAsync(p, echo, started, interval, window, warmupSession: null, records[i], cancellationToken), cancellationToken)));
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureFrom) is { Ticks: > 0 } preroll ? preroll : TimeSpan.Zero, cancellationToken);
            using var tail = Environment.GetEnvironmentVariable("GG_BENCH_TAIL") == "1" ? TailTimeline.Start(measureFrom) : null;
            var runs = await drivers;
            var elapsed = Stopwatch.GetElapsedTime(measureFrom).TotalSeconds;
            allocations?.Print(echo ? "echo" : "claims", rate is null ? "peak" : "open loop");
            tail?.Print();
            var client = Counters.OfThisProcess() - clientBefore;
            var machine = MachineCounters.Read();
            var serverCounters = await server.CountersAsync(cancellationToken) - serverBefore;
            var announced = echo ? null : await AnnounceLatenciesAsync(players, runs, announces, cancellationToken);
            var all = runs.SelectMany(l => l.FromScheduled!).Order().ToArray();
            var sentAll = runs.SelectMany(l => l.FromSent!).Order().ToArray();
            var made = Math.Max(1, runs.Sum(r => r.Made));
            var ranOut = runs.Count(l => l.RanOut);
            if (ranOut > 0)
            {
                Console.Error.WriteLine($"{ranOut} players ran out of cells before the measured window ended: the window is too long for this rate, and its calls/s too low");
            }
            return new Result(
                all.Length / elapsed,
                Percentile(all, 0.50),
                Percentile(all, 0.99),
                Percentile(sentAll, 0.99),
                serverCounters.PerCall(made),
                client.PerCall(made),
                machine.PerCallSince(machineBefore, made),
                warmup,
                announced is { Length: > 0 } ? Percentile(announced, 0.50) : null,
                announced is { Length: > 0 } ? Percentile(announced, 0.99) : null,
                ranOut);
        }
        finally
        {
            foreach (var batch in players.Chunk(100))
            {
                await Task.WhenAll(batch.Select(p => p.Connection.DisposeAsync().AsTask()));
            }
        }
    }

    private static string PlayerName(int index) => string.Create(CultureInfo.InvariantCulture, $"p{index}");

    private static async Task JoinAsync(List<Player> players, Func<Player, string> session, CancellationToken cancellationToken)
    {
        foreach (var batch in players.Chunk(50))
        {
            await Task.WhenAll(batch.Select(p => p.Connection.InvokeAsync<BoardSnapshot>("JoinGame", session(p), cancellationToken)));
        }
    }

    /// <summary>
    /// Drives every player at the row's own load (closed or open loop) until the JIT of both processes has settled:
    /// <see cref="SettledSeconds"/> seconds in a row with fewer than <see cref="SettledMethodsPerSecond"/> methods
    /// compiled by the server and by the clients, after at least <see cref="WarmupMinSeconds"/> and at most
    /// <see cref="WarmupMaxSeconds"/>. A production server is long past its tiering (TieredPGO recompiles hot methods
    /// seconds after the load starts, slower on a busy machine) and its pool growth. Game rows warm up in games of their own, each player moving to a fresh one when
    /// its cells run out, so the measured games start empty and cannot run out of cells.
    /// </summary>
    private static async Task<Warmup> WarmUpAsync(ServerProcess server, List<Player> players, bool echo, string session, long interval, CancellationToken cancellationToken)
    {
        if (!echo)
        {
            await JoinAsync(players, p => $"{session}0-{p.Game}", cancellationToken);
        }
        var started = Stopwatch.GetTimestamp();
        var window = new Window(long.MaxValue);
        var drivers = Task.WhenAll(players.Select(p => Task.Run(() => DriveAsync(p, echo, started, interval, window, echo ? null : session, record: null, cancellationToken), cancellationToken)));
        var server0 = await server.CountersAsync(cancellationToken);
        var (serverLast, clientLast) = (server0, Counters.OfThisProcess());
        var perSecond = new List<long>();
        var clientPerSecond = new List<long>();
        var quiet = 0;
        try
        {
            while (!drivers.IsCompleted)
            {
                await Task.WhenAny(drivers, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
                var (serverNow, clientNow) = (await server.CountersAsync(cancellationToken), Counters.OfThisProcess());
                var methods = serverNow.JitMethods - serverLast.JitMethods;
                var clientMethods = clientNow.JitMethods - clientLast.JitMethods;
                perSecond.Add(methods);
                clientPerSecond.Add(clientMethods);
                (serverLast, clientLast) = (serverNow, clientNow);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                quiet = methods < SettledMethodsPerSecond && clientMethods < SettledMethodsPerSecond ? quiet + 1 : 0;
                if ((elapsed >= WarmupMinSeconds && quiet >= SettledSeconds) || elapsed >= WarmupMaxSeconds)
                {
                    break;
                }
            }
        }
        finally
        {
            window.Stop();
            await drivers;
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var calls = (await drivers).Sum(d => d.Calls);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warm-up {seconds:F1} s, {calls} calls, server JIT {(serverLast - server0).JitTime.TotalMilliseconds:F0} ms, methods compiled per second by the server: {string.Join(' ', perSecond)}, by the clients: {string.Join(' ', clientPerSecond)}"));
        return new Warmup(seconds);
    }

    /// <summary>Waits (at most 5 s, without load) until the server has compiled no method for half a second.</summary>
    private static async Task JitSettledAsync(ServerProcess server, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        var last = (await server.CountersAsync(cancellationToken)).JitMethods;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(500, cancellationToken);
            var now = (await server.CountersAsync(cancellationToken)).JitMethods;
            if (now == last)
            {
                return;
            }
            last = now;
        }
    }

    /// <summary>
    /// One player's loop: closed (the next call when the last is answered) or open (<paramref name="interval"/> &gt; 0:
    /// a fixed schedule with a random phase, so the players' sends are spread evenly), until the window closes. It takes
    /// its own cells of the board (index, index + players, ...); in the warm-up (<paramref name="warmupSession"/>) it
    /// moves to a fresh game when they run out, in the measured window it stops.
    /// </summary>
    private static async Task<PlayerRun> DriveAsync(Player p, bool echo, long started, long interval, Window window, string? warmupSession, PlayerRecord? record, CancellationToken cancellationToken)
    {
        var cell = p.Index;
        var board = 0;
        var calls = 0;
        var made = 0;
        var scheduled = started + (long)(Random.Shared.NextDouble() * interval);
        while (Stopwatch.GetTimestamp() < window.StopAt)
        {
            if (cell >= Cells)
            {
                if (warmupSession is null && !echo)
                {
                    return new PlayerRun(calls, made, record?.FromScheduled, record?.FromSent, RanOut: true);
                }
                cell = p.Index;
                if (!echo)
                {
                    await p.Connection.InvokeAsync<BoardSnapshot>("JoinGame", string.Create(CultureInfo.InvariantCulture, $"{warmupSession}{++board}-{p.Game}"), cancellationToken);
                }
            }
            if (interval > 0)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }
            var sent = Stopwatch.GetTimestamp();
            // The closed loop has no schedule: its send time is the schedule.
            var due = interval > 0 ? scheduled : sent;
            var measured = record is not null && due >= window.MeasureFrom;
            if (measured)
            {
                p.Announces?.Sent(cell, sent);
            }
            await CallAsync(p.Connection, echo, cell, cancellationToken);
            var done = Stopwatch.GetTimestamp();
            if (measured)
            {
                var latency = Stopwatch.GetElapsedTime(due, done).TotalMilliseconds;
                record!.FromScheduled.Add(latency);
                record.FromSent.Add(Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds);
                if (latency >= TailTimeline.SlowMs)
                {
                    TailTimeline.Current?.Slow(due, latency);
                }
            }
            scheduled += interval;
            cell += PlayersPerGame;
            if (record is null || measured)
            {
                calls++;
            }
            made++;
        }
        return new PlayerRun(calls, made, record?.FromScheduled, record?.FromSent, RanOut: false);
    }

    /// <summary>
    /// The announce latencies of the measured window, in ms: waits (bounded) for the announcements still in flight
    /// when the window closed, until every claim of another player has reached its game's observer or none has arrived
    /// for a second.
    /// </summary>
    private static async Task<double[]> AnnounceLatenciesAsync(List<Player> players, PlayerRun[] runs, AnnounceRecorder[] announces, CancellationToken cancellationToken)
    {
        var expected = players.Zip(runs).Where(x => x.First.Index != 0).Sum(x => x.Second.Calls);
        var received = announces.Sum(a => a.Count);
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        var quietSince = Stopwatch.GetTimestamp();
        while (received < expected && Stopwatch.GetElapsedTime(quietSince) < TimeSpan.FromSeconds(1) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50, cancellationToken);
            var now = announces.Sum(a => a.Count);
            if (now != received)
            {
                (received, quietSince) = (now, Stopwatch.GetTimestamp());
            }
        }
        if (received > 0 && received < expected)
        {
            Console.Error.WriteLine($"{expected - received} of {expected} claims never reached their game's observer in a CellsClaimed");
        }
        return [.. announces.SelectMany(a => a.LatenciesMs()).Order()];
    }

    private static Task CallAsync(HubConnection connection, bool echo, int cell, CancellationToken cancellationToken) => echo
        ? connection.InvokeAsync<int>("Echo", cell / BoardSize, cell % BoardSize, cancellationToken)
        : connection.InvokeAsync<CellClaimed>("ClaimCell", cell / BoardSize, cell % BoardSize, cancellationToken);

    /// <summary>Starts the game server as a process of its own and measures its resident memory before and after opening idle connections.</summary>
    private static async Task<string> IdleMemoryAsync(int count, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "GridGame.GameServer.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--environment", "Production" })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["Auth__SigningKey"] = SigningKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["GridGame__OpsPort"] = "0";
        info.Environment["GridGame__Connections__PerAddress"] = "0";
        info.Environment["ConnectionStrings__Sqlite"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"gg-bench-{port}.db")}";
        info.Environment[ServerArrayPoolVariable] = "1024";
        using var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        var connections = new List<HubConnection>();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    if ((await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health"), cancellationToken)) == "ok")
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, cancellationToken);
                }
            }
            // Warm the server up (JIT, SignalR, pools) with a few connections before the baseline.
            var server = $"http://127.0.0.1:{port}";
            var warm = Enumerable.Range(0, 20).Select(i => Connect(server, GameHub.Path, $"warm{i}", false)).ToList();
            await Task.WhenAll(warm.Select(c => c.StartAsync(cancellationToken)));
            await Task.WhenAll(warm.Select(c => c.DisposeAsync().AsTask()));
            var before = await SettledResidentBytesAsync(process.Id, cancellationToken);
            var opened = 0;
            string? stoppedBy = null;
            for (var i = 0; i < count; i += 100)
            {
                var batch = Enumerable.Range(i, Math.Min(100, count - i)).Select(n => Connect(server, GameHub.Path, $"idle{n}", false)).ToList();
                connections.AddRange(batch);
                try
                {
                    await Task.WhenAll(batch.Select(c => c.StartAsync(cancellationToken)));
                    opened += batch.Count;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or System.Net.WebSockets.WebSocketException)
                {
                    stoppedBy = ex.Message;
                    opened += batch.Count(c => c.State == HubConnectionState.Connected);
                    break;
                }
            }
            var after = await SettledResidentBytesAsync(process.Id, cancellationToken);
            var per = opened == 0 ? 0 : (after - before) / (double)opened;
            var text = string.Create(CultureInfo.InvariantCulture,
                $"Memory per idle connection: {opened} idle JSON connections (WebSocket, authenticated, not in a game) to a game server in its own process: resident memory {before / 1048576.0:F0} MiB → {after / 1048576.0:F0} MiB, **{per / 1024:F1} KiB per connection** (RSS delta; includes Kestrel, SignalR and GC headroom).\n");
            return stoppedBy is null ? text : text + $"Stopped early at {opened} connections: {stoppedBy}\n";
        }
        finally
        {
            foreach (var batch in connections.Chunk(200))
            {
                await Task.WhenAll(batch.Select(c => c.DisposeAsync().AsTask()));
            }
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            foreach (var file in new[] { "", "-wal", "-shm" })
            {
                File.Delete(Path.Combine(Path.GetTempPath(), $"gg-bench-{port}.db{file}"));
            }
        }
    }

    /// <summary>The server's resident memory once it has stopped moving (within 1% over 250 ms), or after 10 s.</summary>
    private static async Task<long> SettledResidentBytesAsync(int pid, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var last = ResidentBytes(pid);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, cancellationToken);
            var now = ResidentBytes(pid);
            if (Math.Abs(now - last) <= last / 100)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    private static HubConnection Connect(string baseUrl, string path, string player, bool messagePack, AnnounceRecorder? observer = null)
    {
        var token = GameAuth.CreateToken(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), player, DateTimeOffset.UtcNow);
        var builder = new HubConnectionBuilder().WithUrl(baseUrl + path, o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.SkipNegotiation = true;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
        });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }
        var connection = builder.Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(2);
        // A real client handles what the server sends. Without handlers the SignalR client throws and catches an
        // InvalidDataException for every event it cannot bind: ten per claim, which once cost more CPU than the claim.
        connection.On<BoardSnapshot>(nameof(IGameClient.BoardSnapshot), _ => { });
        // One observer per game times the batched announcements (AnnounceRecorder).
        connection.On(nameof(IGameClient.CellsClaimed), observer is null ? _ => { } : (Action<CellClaimed[]>)observer.Received);
        connection.On<PlayerChange>(nameof(IGameClient.PlayerJoined), _ => { });
        connection.On<PlayerChange>(nameof(IGameClient.PlayerLeft), _ => { });
        connection.On<GameStarted>(nameof(IGameClient.GameStarted), _ => { });
        connection.On<GameOver>(nameof(IGameClient.GameOver), _ => { });
        connection.On<ServerDraining>(nameof(IGameClient.ServerDraining), _ => { });
        return connection;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> CreateDatabaseAsync(string connectionString)
    {
        var name = "gg_bench_" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// P50/P99 from the scheduled send time (open loop) or the send time (closed loop); P99Sent from the actual send;
    /// Announce P50/P99 from a claim's send to its arrival at its game's observer (null for echo, or when none arrived).
    /// </summary>
    private readonly record struct Result(double PerSecond, double P50, double P99, double P99Sent, PerCall Server, PerCall Client, MachinePerCall Machine, Warmup Warmup, double? AnnounceP50, double? AnnounceP99, int RanOut);

    /// <summary>How long a row warmed up.</summary>
    private readonly record struct Warmup(double Seconds);

    /// <summary>What one process spent during a run, per call (CPU, allocation) and in total (collections, GC pause, JIT).</summary>
    private readonly record struct PerCall(double CpuMicros, double KiB, int Collections, int Gen2, double GcPauseMs, double JitMs, long JitMethods, double JitShare);

    /// <summary>A process's cumulative CPU, allocation, GC and JIT counters; the server process reports its own on request.</summary>
    private readonly record struct Counters(TimeSpan Cpu, long Allocated, int Collections, int Gen2, TimeSpan Pause, long JitMethods, TimeSpan JitTime)
    {
        public const string Prefix = "COUNTERS ";

        public static Counters OfThisProcess()
        {
            using var process = Process.GetCurrentProcess();
            return new(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
                System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
        }

        public static Counters Parse(string line)
        {
            var f = line[Prefix.Length..].Split(' ').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            return new(TimeSpan.FromTicks(f[0]), f[1], (int)f[2], (int)f[3], TimeSpan.FromTicks(f[4]), f[5], TimeSpan.FromTicks(f[6]));
        }

        public static Counters operator -(Counters a, Counters b) =>
            new(a.Cpu - b.Cpu, a.Allocated - b.Allocated, a.Collections - b.Collections, a.Gen2 - b.Gen2, a.Pause - b.Pause, a.JitMethods - b.JitMethods, a.JitTime - b.JitTime);

        public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Cpu.Ticks} {Allocated} {Collections} {Gen2} {Pause.Ticks} {JitMethods} {JitTime.Ticks}");

        public PerCall PerCall(int calls) => new(Cpu.TotalMicroseconds / calls, Allocated / 1024.0 / calls, Collections, Gen2, Pause.TotalMilliseconds, JitTime.TotalMilliseconds, JitMethods, Cpu > TimeSpan.Zero ? JitTime / Cpu : 0);
    }

    /// <summary>What the Redis and PostgreSQL servers spent per call.</summary>
    private readonly record struct MachinePerCall(double RedisMicros, double PostgresMicros);

    /// <summary>
    /// The CPU time of every redis-server and postgres process, in clock ticks from /proc, by pid. They share the 2 cores
    /// with the server and the clients, so the sum of all four says how much of the machine a row leaves free. (Not
    /// /proc/stat: on this VM, under the benchmark's short bursts of work, its counters fall short of the wall clock
    /// by a third, while each process's own CPU time, which the kernel measures exactly, adds up.)
    /// </summary>
    private sealed record MachineCounters(Dictionary<int, (bool Redis, long Ticks)> Processes)
    {
        // USER_HZ: the unit of /proc/[pid]/stat on every Linux the benchmark runs on.
        private const double TicksPerSecond = 100;

        public static MachineCounters Read()
        {
            var processes = new Dictionary<int, (bool Redis, long Ticks)>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue; // the process ended while we looked
                }
                // "pid (comm) state ppid ...": utime and stime are fields 14 and 15, the 12th and 13th after the comm.
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                if (comm == "redis-server" || comm.StartsWith("postgres", StringComparison.Ordinal))
                {
                    var fields = stat[(close + 2)..].Split(' ');
                    processes[pid] = (comm == "redis-server", long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
                }
            }
            return new(processes);
        }

        /// <summary>
        /// Per call, what each process spent since <paramref name="before"/>: a process that ended in between (a
        /// PostgreSQL backend of the last row's server) takes its ticks with it, so only the living ones count.
        /// </summary>
        public MachinePerCall PerCallSince(MachineCounters before, int calls)
        {
            long redis = 0, postgres = 0;
            foreach (var (pid, (isRedis, ticks)) in Processes)
            {
                var spent = ticks - (before.Processes.TryGetValue(pid, out var then) ? then.Ticks : 0);
                if (isRedis)
                {
                    redis += spent;
                }
                else
                {
                    postgres += spent;
                }
            }
            return new(redis / TicksPerSecond * 1e6 / calls, postgres / TicksPerSecond * 1e6 / calls);
        }
    }

    /// <summary>A client connection: its game (index into the games of a row), its index in that game, and that game's announce recorder.</summary>
    private sealed record Player(HubConnection Connection, int Game, int Index, AnnounceRecorder? Announces);

    /// <summary>
    /// What one player's loop did: its calls (those measured; in the warm-up, all of them), all it made (with the
    /// pre-roll's), and the measured calls' latencies in ms.
    /// </summary>
    private sealed record PlayerRun(int Calls, int Made, List<double>? FromScheduled, List<double>? FromSent, bool RanOut);

    /// <summary>One player's latencies in the measured window, in ms: from the scheduled send (or the send, closed loop) and from the actual send.</summary>
    private sealed class PlayerRecord
    {
        // Room for a window of the default length without growing: a game's player runs out of its 410 cells first, an echo player makes at most ~50 calls a second.
        private const int Capacity = 1024;

        public List<double> FromScheduled { get; } = new(Capacity);

        public List<double> FromSent { get; } = new(Capacity);
    }

    /// <summary>
    /// When the players' loops stop (fixed for the measured window, set by the warm-up once the JIT has settled), and
    /// from which due time their calls are measured (the warm-up measures none).
    /// </summary>
    private sealed class Window(long stopAt, long measureFrom = long.MaxValue)
    {
        private long _stopAt = stopAt;

        public long MeasureFrom { get; } = measureFrom;

        public long StopAt => Volatile.Read(ref _stopAt);

        public void Stop() => Volatile.Write(ref _stopAt, 0);
    }

    /// <summary>
    /// One game's announce latency: when each cell's claim was sent (by the players of the game, in the measured
    /// window) and how long it took to reach the game's observer in a <c>CellsClaimed</c>. A board has
    /// <see cref="Cells"/> cells, each claimed once, so both arrays are allocated once and nothing is locked: each cell
    /// is written by the one player who claims it, and the receive side counts with an interlocked increment.
    /// </summary>
    private sealed class AnnounceRecorder(string observer)
    {
        private readonly long[] _sentAt = new long[Cells];
        private readonly long[] _latencies = new long[Cells];
        private int _count;

        public int Count => Math.Min(Volatile.Read(ref _count), Cells);

        public void Sent(int cell, long timestamp) => Volatile.Write(ref _sentAt[cell], timestamp);

        public void Received(CellClaimed[]? claims)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var claim in claims ?? [])
            {
                var cell = (claim.Row * BoardSize) + claim.Col;
                // The observer's own claims are not announcements to it; a cell without a send time is a warm-up game's.
                var sent = claim.Player == observer || (uint)cell >= Cells ? 0 : Volatile.Read(ref _sentAt[cell]);
                if (sent == 0)
                {
                    continue;
                }
                Volatile.Write(ref _sentAt[cell], 0);
                var i = Interlocked.Increment(ref _count) - 1;
                if (i < Cells)
                {
                    _latencies[i] = now - sent;
                }
            }
        }

        public IEnumerable<double> LatenciesMs()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return _latencies[i] * 1000.0 / Stopwatch.Frequency;
            }
        }
    }

    /// <summary>
    /// The hidden mode <c>serve-gameserver [key=value ...]</c>: hosts <see cref="BenchServer"/> with those settings,
    /// prints "URL &lt;address&gt; gc=&lt;mode&gt;", answers each "counters" line on stdin with this process's
    /// <see cref="Counters"/>, and stops the server (letting its history drain, as in production) at "stop" or end of input.
    /// </summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var settings = args.Select(a => a.Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1], StringComparer.Ordinal);
        await using (var server = await BenchServer.StartAsync(settings))
        {
            Console.WriteLine($"URL {server.BaseUrl} gc={(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
            AllocationSampler? allocations = null;
            JitSampler? jit = null;
            using var pauses = Environment.GetEnvironmentVariable("GG_BENCH_TAIL") == "1" ? new PauseSampler() : null;
            while (await Console.In.ReadLineAsync() is { } line && line != "stop")
            {
                if (line == "counters")
                {
                    // With GG_BENCH_ALLOCS=1 the server samples its own allocations between two counter readings, with
                    // GG_BENCH_JIT=1 it lists the methods it compiled between them.
                    allocations?.Print("server", "since the last reading");
                    allocations?.Dispose();
                    allocations = Environment.GetEnvironmentVariable("GG_BENCH_ALLOCS") == "1" ? new AllocationSampler() : null;
                    jit?.Print();
                    jit?.Dispose();
                    jit = Environment.GetEnvironmentVariable("GG_BENCH_JIT") == "1" ? new JitSampler() : null;
                    pauses?.Print("server");
                    Console.WriteLine(Counters.OfThisProcess().Format());
                }
            }
            allocations?.Dispose();
            jit?.Dispose();
        }
        Console.WriteLine("STOPPED");
        return 0;
    }

    /// <summary>
    /// The benchmark's server as production runs it: a process of its own, started with the game server's own
    /// runtimeconfig (the Web SDK's <c>System.GC.Server</c>), so its GC and CPU are apart from the clients'.
    /// </summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _errors = new();

        private ServerProcess(Process process)
        {
            _process = process;
        }

        public string BaseUrl { get; private set; } = "";

        public string GcMode { get; private set; } = "";

        public static async Task<ServerProcess> StartAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken)
        {
            // GG_BENCH_SERVER_CPUS="0-1" pins the server to those CPUs (taskset), so that on a machine with more cores the
            // clients, pinned elsewhere (taskset -c 2-3 dotnet run ...), stop sharing the server's, as players' devices do.
            var cpus = Environment.GetEnvironmentVariable("GG_BENCH_SERVER_CPUS");
            var info = new ProcessStartInfo(cpus is null ? "dotnet" : "taskset") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            if (cpus is not null)
            {
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(cpus);
                info.ArgumentList.Add("dotnet");
            }
            foreach (var arg in new[] { "exec", "--runtimeconfig", Path.Combine(AppContext.BaseDirectory, "GridGame.GameServer.runtimeconfig.json"), Path.Combine(AppContext.BaseDirectory, "GridGame.Benchmarks.dll"), "serve-gameserver" })
            {
                info.ArgumentList.Add(arg);
            }
            foreach (var (key, value) in settings)
            {
                info.ArgumentList.Add($"{key}={value}");
            }
            // As the image runs it (Dockerfile.gameserver): a shared ArrayPool big enough for the announcements' fan-out.
            info.Environment[ServerArrayPoolVariable] = "1024";
            // Diagnostics: GG_BENCH_SERVER_ENV="DOTNET_GCgen0size=0x4000000 ..." sets variables for the server process only.
            foreach (var pair in (Environment.GetEnvironmentVariable("GG_BENCH_SERVER_ENV") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                info.Environment[kv[0]] = kv[1];
            }
            var server = new ServerProcess(Process.Start(info)!);
            server._process.ErrorDataReceived += (_, e) =>
            {
                lock (server._errors)
                {
                    server._errors.AppendLine(e.Data);
                }
            };
            server._process.BeginErrorReadLine();
            try
            {
                var url = (await server.ReadLineAsync("URL ", cancellationToken)).Split(' ');
                server.BaseUrl = url[1];
                server.GcMode = url[2]["gc=".Length..];
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async Task<Counters> CountersAsync(CancellationToken cancellationToken)
        {
            await _process.StandardInput.WriteLineAsync("counters".AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
            return Counters.Parse(await ReadLineAsync(Counters.Prefix, cancellationToken));
        }

        /// <summary>The next stdout line that starts with <paramref name="prefix"/> (the server's warnings go to stdout too), within 60 s.</summary>
        private async Task<string> ReadLineAsync(string prefix, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
                Console.Error.WriteLine("server: " + line);
            }
            string errors;
            lock (_errors)
            {
                errors = _errors.ToString();
            }
            throw new InvalidOperationException($"the server process ended before printing '{prefix.Trim()}': {errors}");
        }

        /// <summary>Stops the server and waits for its process to end, so no run overlaps the next (killed if it takes over 60 s).</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_process.HasExited)
                {
                    // It died before it was told to stop: what it wrote to stderr on the way out is the only trace.
                    lock (_errors)
                    {
                        Console.Error.WriteLine($"the server process exited with code {_process.ExitCode} before it was stopped: {_errors}");
                    }
                }
                else
                {
                    await _process.StandardInput.WriteLineAsync("stop");
                    await _process.StandardInput.FlushAsync();
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await _process.StandardOutput.ReadToEndAsync(timeout.Token);
                    await _process.WaitForExitAsync(timeout.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
            finally
            {
                _process.Dispose();
            }
        }
    }

    /// <summary>The game server in this process (the hidden serve-gameserver mode), with the echo hub mapped beside the game hub.</summary>
    private sealed class BenchServer(WebApplication app, string baseUrl, string sqliteFile) : IAsyncDisposable
    {
        public string BaseUrl { get; } = baseUrl;

        public static async Task<BenchServer> StartAsync(Dictionary<string, string?> settings)
        {
            var sqliteFile = Path.Combine(Path.GetTempPath(), $"gg-bench-{Guid.NewGuid():N}.db");
            var config = new Dictionary<string, string?>
            {
                ["Auth:SigningKey"] = SigningKey,
                ["GridGame:Game:BoardSize"] = BoardSize.ToString(CultureInfo.InvariantCulture),
                ["GridGame:Game:MinPlayers"] = "1",
                ["GridGame:Game:MaxPlayers"] = PlayersPerGame.ToString(CultureInfo.InvariantCulture),
                ["GridGame:Game:ClaimCooldownMs"] = "0",
                ["GridGame:Game:DurationSeconds"] = "3600",
                ["GridGame:RateLimit:Burst"] = "1000000",
                ["GridGame:RateLimit:PerSecond"] = "1000000",
                // Every simulated player connects from this machine's loopback address.
                ["GridGame:Connections:PerAddress"] = "0",
                ["GridGame:OpsPort"] = "0",
                ["GridGame:DrainSeconds"] = "0",
                ["ConnectionStrings:Sqlite"] = $"Data Source={sqliteFile};Pooling=false",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in settings)
            {
                config[key] = value;
            }
            var app = GameServerHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], builder =>
            {
                builder.Configuration.AddInMemoryCollection(config);
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                if (Environment.GetEnvironmentVariable("GG_BENCH_INLINE") == "1")
                {
                    builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
                }
            });
            app.MapHub<EchoHub>("/hubs/echo");
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new BenchServer(app, address, sqliteFile);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            foreach (var file in new[] { sqliteFile, sqliteFile + "-wal", sqliteFile + "-shm" })
            {
                File.Delete(file);
            }
        }
    }
}

/// <summary>The ceiling: a hub that answers at once, on the same server, pipeline and auth as the game hub.</summary>
internal sealed class EchoHub : Hub
{
    public int Echo(int row, int col) => (row * 1000) + col;
}

/// <summary>
/// Diagnostics: totals by key of one kind of the runtime's own events, read in process. The keywords and event name are
/// properties, not constructor arguments: the base constructor already enables the sources that exist.
/// </summary>
internal abstract class RuntimeEventSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    protected abstract System.Diagnostics.Tracing.EventKeywords Keywords { get; }

    protected abstract string EventName { get; }

    /// <summary>A snapshot: LINQ over the live dictionary copies it by its count, which the event thread may change meanwhile.</summary>
    protected KeyValuePair<string, long>[] Totals() => _totals.ToArray();

    protected abstract (string Key, long Amount) Read(System.Collections.ObjectModel.ReadOnlyCollection<object?> payload, System.Collections.ObjectModel.ReadOnlyCollection<string> names);

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, Keywords);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith(EventName, StringComparison.Ordinal) == true && eventData is { Payload: { } payload, PayloadNames: { } names })
        {
            var (key, amount) = Read(payload, names);
            _totals.AddOrUpdate(key, amount, (_, total) => total + amount);
        }
    }
}

/// <summary>
/// Diagnostics (GG_BENCH_TAIL=1): when the slow calls of a window (20 ms or more) were due, in 100 ms buckets, beside
/// the client process's GC pauses in each bucket, to tell a stall (slow calls bunched in a few buckets) from queueing
/// (spread over all of them), and the clients' own pauses from the rest.
/// </summary>
internal sealed class TailTimeline : IDisposable
{
    public const double SlowMs = 20;
    private static readonly long Bucket = Stopwatch.Frequency / 10;
    private readonly long _started;
    private readonly Dictionary<long, (int Count, double Max)> _slow = [];
    private readonly PauseSampler _pauses = new();

    private TailTimeline(long started)
    {
        _started = started;
    }

    public static TailTimeline? Current { get; private set; }

    public static TailTimeline Start(long started) => Current = new TailTimeline(started);

    public void Slow(long due, double latencyMs)
    {
        lock (_slow)
        {
            var b = (due - _started) / Bucket;
            var (count, max) = _slow.GetValueOrDefault(b);
            _slow[b] = (count + 1, Math.Max(max, latencyMs));
        }
    }

    public void Print()
    {
        var startedMs = _started / (Stopwatch.Frequency / 1000);
        var pauseMs = _pauses.Take().GroupBy(p => (p.AtMs - startedMs) / 100).ToDictionary(g => g.Key, g => g.Sum(p => p.PauseMs));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"slow calls (>= {SlowMs} ms) by due time, 100 ms buckets from {startedMs} ms: bucket count max-ms client-gc-pause-ms"));
        foreach (var b in _slow.Keys.Concat(pauseMs.Keys).Distinct().Order())
        {
            var (count, max) = _slow.GetValueOrDefault(b);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {b * 100,6} ms {count,6} {max,7:F1} {pauseMs.GetValueOrDefault(b),6:F1}"));
        }
    }

    public void Dispose()
    {
        Current = null;
        _pauses.Dispose();
    }
}

/// <summary>Diagnostics (GG_BENCH_TAIL=1): when this process's GC paused it, and for how long (sampled every 5 ms, in Stopwatch ms, which all processes share on Linux).</summary>
internal sealed class PauseSampler : IDisposable
{
    private readonly List<(long AtMs, double PauseMs, int Gen1, int Gen2)> _pauses = [];
    private readonly CancellationTokenSource _stop = new();

    public PauseSampler()
    {
        _ = Task.Run(async () =>
        {
            var (last, gen1, gen2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(1), GC.CollectionCount(2));
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(5).ConfigureAwait(false);
                var (now, g1, g2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(1), GC.CollectionCount(2));
                if (now > last)
                {
                    lock (_pauses)
                    {
                        _pauses.Add((Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000), (now - last).TotalMilliseconds, g1 - gen1, g2 - gen2));
                    }
                }
                (last, gen1, gen2) = (now, g1, g2);
            }
        });
    }

    /// <summary>The pauses since the last call.</summary>
    public List<(long AtMs, double PauseMs, int Gen1, int Gen2)> Take()
    {
        lock (_pauses)
        {
            var taken = _pauses.ToList();
            _pauses.Clear();
            return taken;
        }
    }

    public void Print(string who)
    {
        foreach (var (at, ms, gen1, gen2) in Take())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{who} GC pause at {at} ms: {ms:F1} ms{(gen2 > 0 ? " (gen2)" : gen1 > 0 ? " (gen1)" : "")}"));
        }
    }

    public void Dispose() => _stop.Cancel();
}

/// <summary>Diagnostics (GG_BENCH_ALLOCS=1): which types the process allocates, from the runtime's allocation-tick samples (one per ~100 KB).</summary>
internal sealed class AllocationSampler : RuntimeEventSampler
{
    protected override System.Diagnostics.Tracing.EventKeywords Keywords => (System.Diagnostics.Tracing.EventKeywords)0x1;

    protected override string EventName => "GCAllocationTick";

    protected override (string Key, long Amount) Read(System.Collections.ObjectModel.ReadOnlyCollection<object?> payload, System.Collections.ObjectModel.ReadOnlyCollection<string> names)
    {
        // AllocationKind: 0 the small object heap, 1 the large, 2 the pinned (Kestrel's buffers live there).
        var kind = names.IndexOf("AllocationKind") is >= 0 and var k ? Convert.ToInt32(payload[k], CultureInfo.InvariantCulture) : 0;
        var type = payload[names.IndexOf("TypeName")] as string ?? "?";
        return (kind switch { 1 => type + " (large)", 2 => type + " (pinned)", _ => type }, Convert.ToInt64(payload[names.IndexOf("AllocationAmount")], CultureInfo.InvariantCulture));
    }

    public void Print(string what, string load)
    {
        var sampled = Totals();
        var total = Math.Max(1, sampled.Sum(kv => kv.Value));
        Console.WriteLine($"allocations, {what} {load}: {total / 1048576} MiB sampled");
        foreach (var (type, bytes) in sampled.OrderByDescending(kv => kv.Value).Take(25))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * bytes / total,5:F1}%  {type}"));
        }
    }
}

/// <summary>Diagnostics (GG_BENCH_JIT=1): which methods the process compiles, at which tier, from the runtime's method-load events.</summary>
internal sealed class JitSampler : RuntimeEventSampler
{
    protected override System.Diagnostics.Tracing.EventKeywords Keywords => (System.Diagnostics.Tracing.EventKeywords)0x10;

    protected override string EventName => "MethodLoadVerbose";

    protected override (string Key, long Amount) Read(System.Collections.ObjectModel.ReadOnlyCollection<object?> payload, System.Collections.ObjectModel.ReadOnlyCollection<string> names)
    {
        // The method flags carry the optimization tier in bits 7-9 (3 tier 0, 4 tier 1, 7 tier 0 instrumented, ...).
        var flags = Convert.ToInt64(payload[names.IndexOf("MethodFlags")], CultureInfo.InvariantCulture);
        return ($"tier{(flags >> 7) & 7} {payload[names.IndexOf("MethodNamespace")]}::{payload[names.IndexOf("MethodName")]}", 1);
    }

    public void Print()
    {
        var methods = Totals();
        Console.WriteLine($"jit since the last reading: {methods.Sum(kv => kv.Value)} methods; " + string.Join(", ", methods.GroupBy(kv => kv.Key[..5]).Select(g => $"{g.Key} {g.Sum(kv => kv.Value)}")));
        foreach (var (name, count) in methods.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(40))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count,4}  {name}"));
        }
    }
}
