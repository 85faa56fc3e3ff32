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

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var idle = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000;
        var only = args.Length > 2 ? args[2] : null;
        var redis = Environment.GetEnvironmentVariable("GRIDGAME_TEST_REDIS");
        var postgres = Environment.GetEnvironmentVariable("GRIDGAME_TEST_POSTGRES");
        var report = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{Games} games × {PlayersPerGame} players ({Games * PlayersPerGame} connections), each player claiming its own cells back to back (closed loop) for {seconds} s; ")
            .Append("then open loops at half and a quarter of the peak row just above them (measured seconds before, same store and protocol). ")
            .Append("The server runs as production runs it, in a process of its own with the game server's runtimeconfig (GC: {gc}); the 1,000 clients in the benchmark process (workstation GC); 2 cores for both.\n\n")
            .Append("| hub / store | protocol | load | calls/s | p50 ms | p99 ms | p99 sent ms | announce p50 ms | announce p99 ms | server CPU µs/call | client CPU µs/call | Redis CPU µs/call | PostgreSQL CPU µs/call | cores busy | server KiB/call | client KiB/call | server GCs (gen2) | server GC pause ms | client GC pause ms | warm-up s | server JIT ms (methods; share of server CPU) |\n")
            .Append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");

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
            report.Insert(0, "GRIDGAME_TEST_REDIS was not set: the Redis rows are missing.\n\n");
        }

        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var gc = "?";
        var aims = new StringBuilder();
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
                report.Append(Row("echo (ceiling)", protocol, "peak", echoPeak, echo: true));
            }
            if (Selected(only, "echo"))
            {
                // The driver's own floor: the echo hub paced exactly as the claims are at half of their peak.
                await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>(), cancellationToken);
                var echoHalf = await RunLoadAsync(server, echo: true, messagePack, seconds, rate: echoPeak.PerSecond / 2, cancellationToken);
                report.Append(Row("echo (ceiling)", protocol, "half of peak", echoHalf, echo: true));
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
                report.Append(Row(name, protocol, "peak", peak));
                Result half;
                await using (var halfServer = await ServerProcess.StartAsync(await settings(), cancellationToken))
                {
                    half = await RunLoadAsync(halfServer, echo: false, messagePack, seconds, rate: peak.PerSecond / 2, cancellationToken);
                }
                report.Append(Row(name, protocol, "half of peak", half));
                await using (var quarterServer = await ServerProcess.StartAsync(await settings(), cancellationToken))
                {
                    // Where the knee is: the same open loop at a quarter of the peak.
                    report.Append(Row(name, protocol, "quarter of peak", await RunLoadAsync(quarterServer, echo: false, messagePack, seconds, rate: peak.PerSecond / 4, cancellationToken)));
                }
                aims.Append(CultureInfo.InvariantCulture,
                    $"- {name}, {protocol}: claims at {100 * peak.PerSecond / echoPeak.PerSecond:F0}% of the echo rate (aim ≥ 50%); p99 at half of peak {half.P99:F1} ms from the scheduled send, {half.P99Sent:F1} ms from the actual send (aim ≤ 20 ms); announce p99 at half of peak {(half.AnnounceP99 is { } announce ? $"{announce:F1} ms" : "none (the server sent no CellsClaimed)")}.\n");
                Console.WriteLine($"{name} {protocol}: peak {peak.PerSecond:F0}/s, half p99 {half.P99:F2} ms (from send {half.P99Sent:F2} ms)");
            }
        }

        var idleMemory = idle > 0 ? await IdleMemoryAsync(idle, cancellationToken) : "";
        report.Replace("{gc}", gc);
        report.Append(CultureInfo.InvariantCulture, $"\nLoad average when the run began: {load}, when it ended: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (the machine's 2 cores are shared with other builds and tests). ")
            .Append("A claim is answered and announced to the 10 players of its game (11 messages out), an echo only answered (1 message), ")
            .Append("and the clients that read all of them run on the same cores.\n\n")
            .Append("Peak rows are a closed loop (each player sends its next call when the last is answered), so their latency is queueing at saturation. ")
            .Append("Half-of-peak rows are an open loop: each player has a fixed schedule (one call every 1000/rate s, a random phase per player) and ")
            .Append("p50/p99 are measured **from the scheduled send time**, so a call that starts late because the one before it was slow counts its wait ")
            .Append("(no coordinated omission); \"p99 sent\" is from the actual send. ")
            .Append("\"Announce\" is the broadcast latency: in each game one observer (player 0) records, for every claim of the game's other players, ")
            .Append("the time from that claim's actual send to its arrival at the observer in a `CellsClaimed` message (\"none\": the server sent no `CellsClaimed`). ")
            .Append("Every row has a new server process, warmed up before its measured window at the row's own load (closed or open loop, the same rate) ")
            .Append(CultureInfo.InvariantCulture, $"until the JIT has settled: {SettledSeconds} seconds in a row in which the server and the clients each compiled fewer than {SettledMethodsPerSecond} methods ")
            .Append(CultureInfo.InvariantCulture, $"(`JitInfo.GetCompiledMethodCount`, read every second; at least {WarmupMinSeconds:F0} s, at most {WarmupMaxSeconds:F0} s: \"warm-up s\"). ")
            .Append("The game rows warm up in games of their own (each player moving to a fresh board when its cells run out) and then join the measured games, ")
            .Append("whose boards are empty, and wait (at most 5 s) for the server to recompile what the joins made hot. \"Server JIT\" is the server's time in the JIT inside the measured window, ")
            .Append("the methods it compiled, and that time as a share of the server's CPU in the window (`JitInfo.GetCompilationTime`, which counts elapsed time, so on a busy machine it is an upper bound); ")
            .Append("with 20 calls per player as the only warm-up it was 10–20% (perf, libclrjit.so). On this machine the hot path settles after 10–16 s of load; ")
            .Append("the code that runs about once a second (timers, the Redis rows' history pump) tiers up in bursts between 15 and 40 s (and a little around 60 s), ")
            .Append("hence the 30 s minimum. ")
            .Append(CultureInfo.InvariantCulture, $"Then the players run at the row's load for {PrerollSeconds:F0} s before the measured window opens (a pre-roll: its calls are not measured), ")
            .Append("so that the window is the row's steady state and not the step from idle; the clients' latency lists are allocated, and the clients' garbage collected, before it. ")
            .Append("CPU and allocation are per call, for the server process (its own counters, read ")
            .Append("before the pre-roll and after the measured window, over the calls of both) and the client process apart; GC pause is the total for the pre-roll and the window.\n\n")
            .Append(aims)
            .Append('\n').Append(Findings)
            .Append('\n').Append(idleMemory);
        report.Append("\nCommand: `eval \"$(scripts/test-services.sh start)\"; dotnet run -c Release --project tests/GridGame.Benchmarks -- gameserver [seconds] [idle connections] [only: echo|memory|redis|JSON|MessagePack, or several joined by commas, as redis,MessagePack]`\n");
        return report.ToString();
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

    /// <summary>What earlier runs of this suite found (fixed text: the figures above are the ones of this run).</summary>
    private const string Findings = """
        ### Round nine: Kestrel's I/O queues, and a full run (2026-11-30 09:15–10:03 UTC)

        At one fixed rate, 10,000 MessagePack claims a second with Redis (`GG_BENCH_HALF_RATE`), with the settings
        interleaved run by run. The setting was Kestrel's `SocketTransportOptions.IOQueueCount`, set through a switch in a
        throwaway build. Its default is the core count, 2 here. Each queue runs many connections' socket sends and
        receives in one thread-pool work item, so fewer queues could mean fewer thread wake-ups.

        - **The unchanged code** (two queues), nine runs: p99 19.2–29.8 ms (median 22.5); server CPU 74–89 µs per claim
          (median 84); 1.55–1.86 cores busy. The machine was faster than in round eight, when the same rate gave 22.9–97.5 ms.
        - **One queue**, nine runs: p99 14.8–38.3 ms (median 19.2); server CPU 75–91 µs per claim (median 79). It beat the
          unchanged run beside it in five pairs and lost in four.
        - **No queues** (the thread pool directly), four runs: p99 19.1–23.7 ms.
        - **Not kept.** As with the settings of rounds six to eight, each pair followed the machine's drift more than the
          setting.
        - **A full run at 09:48–10:03** (`-- gameserver`, the code unchanged; not recorded above, whose summary rows cite
          the run of 05:54): Redis claims at 36% (JSON) and 61% (MessagePack) of the echo, in-memory at 45% and 64%; p99
          at half of peak 31.9 and 21.8 ms with Redis (JSON, MessagePack), 39.6 and 52.9 ms in memory; at a quarter of
          peak 11.7–14.8 ms, but 34.3 ms for Redis with MessagePack.

        ### Round eight: what the 2 cores spend half of peak on, and six more settings (2026-11-30 06:45–08:10 UTC)

        All but one at one fixed rate with MessagePack and Redis (`GG_BENCH_HALF_RATE`, about 70 s a run), A and B interleaved.
        The machine was slower than in round seven an hour before: at 10,000 claims a second, below the half-of-peak rows of
        round seven, it was 96% busy (`/proc/stat` over 10 s: user 62%, system 20%, softirq 10%, idle 4%, steal 0). At that rate
        the unchanged code, in fourteen runs over 50 minutes, kept 1.72–1.95 cores busy at 81–93 µs of server CPU per claim, and
        its p99 was 22.9–97.5 ms.

        - **What the announcements cost.** A diagnostic run with one announcement a second per game
          (`GG_BENCH_SERVER_ENV=GridGame__ClaimAnnounceIntervalMs=1000`): 1,000 frames a second instead of 20,000. Two runs at
          10,000/s, against the unchanged run between them:
          - cores busy 1.32–1.36 against 1.75;
          - server CPU 60–62 µs per claim against 82, clients 50–51 against 72.

          So the 19,000 frames cost the machine about 0.42 core, about 22 µs a frame between the server's send and the client's
          receive. That share of half of peak does not fall with the claim rate, and half of it is spent by the 1,000 players
          that receive the frames, which here share the server's cores. Even so, p99 was 22.0 and 23.1 ms (35.0 in the
          unchanged run), and 31.1 ms in a third run with `GG_BENCH_TAIL=1`. Its bursts came at whole seconds, as the 100
          games' one-second ticks fell together; the server's GCs took 11–18 ms each, every 1.5 s.
        - **The server and the clients on a core each** (`GG_BENCH_SERVER_CPUS=0`, new, with the benchmark under `taskset -c 1`;
          Redis and PostgreSQL free; `gameserver 8 0 redis,MessagePack`): echo peak 28,799/s, claims 12,558/s (44%); p99 at half
          of peak 129.7 ms, at a quarter 25.9 ms. The server's one core was 94% busy at half of peak (150 µs a claim at 6,263/s)
          and 74% at a quarter (236 µs at 3,138/s): a fixed part of about 0.54 core that is the server's own (its announcements'
          sends, about 0.2 core, and its threads' wake-ups), beside the clients' 0.5. One core each is not two machines; on a
          machine with more cores the switch puts the clients on cores of their own.
        - **Tried, not kept:**
          - **One pacing thread for the open loop** instead of a `Task.Delay` per call. It woke every millisecond and ran the
            due players' sends itself (two pairs at 11,000/s):
            - client CPU 68 µs per claim against 64–66, so the clients' open-loop cost is not their timers;
            - the server's cost rose (80–82 µs against 73–74), because the sends now came in millisecond batches;
            - p99 48.5 and 33.3 ms against 25.1 and 27.8.
          - **The server's GC threads at nice −10** (root; three pairs at 11,000/s): the server's GC pauses were no shorter
            (96–128 ms a window against 98–111), and p99 was 63–93 ms against 26–32.
          - **A larger shared ArrayPool in the load generator** (the image's `DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=1024`,
            two pairs at 11,000/s):
            - the clients allocated 3.2 KiB per claim against 7.6–8.4, but used more CPU (75–76 µs against 70–72);
            - p99 80–98 ms against 36–60.
          - **The game server without that setting** (the runtime's default of 32; two pairs at 10,000/s): 7.6–7.8 KiB per claim
            against 4.3, and 34–37 GCs against 11. p99 29.9 and 32.3 ms against 35.2 and 25.4: no difference to latency, so the
            image keeps the setting for its allocation.
          - **Idle workers that block instead of spinning in both processes** (`DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0`;
            eight pairs at 10,000/s):
            - p99 21.2–72.6 ms (median 41.2) against 22.9–97.5 (median 39.5);
            - server CPU 74–92 µs against 83–93;
            - better in four pairs, worse in three, about even in one.
          - **Fewer pauses in the load generator** (a 64 MB gen0 budget in three runs, server GC in two, interleaved with three
            unchanged runs at 10,000/s): the clients' GC pauses fell to 74–188 ms a window from 324–418 ms. p99 was 28.5–52.3 ms
            against 32.6–48.2: the pauses and the p99 had moved together only because both follow how busy the machine is.
        - **Where this leaves the p99 aim.** Half of peak costs the machine about half of what the peak costs, plus a part
          that does not scale with the rate: utilization at half of peak is 50% + F/4, where F is that fixed part, in cores.
          - Round four put F at about 1 core (0.56 in the server, 0.51 in the clients), and a quarter of peak keeps 1.17–1.50
            cores busy (the recorded table). The announcements' frames alone are about 0.42 core at any claim rate above 20
            claims a second per game, half of it in the clients.
          - So half of peak keeps the 2 cores about three quarters busy or more, and the server's GC pauses leave queues that
            drain slowly at that load.
          - A cheaper claim raises the peak and its half with it (round five).
          - What would change this is F. About half of it is the players': here it is on the server's cores, and in
            production it is on 1,000 devices. The other half, about 0.5 core, is the server's own: its announcements' sends
            and its threads' wake-ups. That half is the game server's to cut.
          - The machine limits what an A/B can show: 2 cores for the server, its 1,000 clients, Redis and PostgreSQL, and a
            speed that moves by a third within minutes.

        ### Round seven: where the slow calls at half of peak came from (2026-11-30 05:00–06:10 UTC)

        At one fixed rate (`GG_BENCH_HALF_RATE=11000`, MessagePack, Redis) with `GG_BENCH_TAIL=1`, each burst of slow calls
        (50 or more calls of 20 ms or more in 100 ms) was matched by its time with both processes' GC pauses and with
        PostgreSQL's log (`log_autovacuum_min_duration = 0`). Three of the causes were not the game server's.

        - **The load generator's own GC.** Each player's latency lists (two of 1,024 doubles: 16 MB for 1,000 players) were
          allocated as the window opened. A client GC 0.2–0.3 s into the window copied them and paused every player for
          55 ms: 1,195 calls slower than 20 ms (up to 104 ms), charged to the claims. The lists are now allocated before the
          window, and two full collections of the client process (idle at that moment) move them to gen2.
        - **The step from idle.** The window opened on idle processes (the joins, then at least half a second for the JIT to
          settle): in five runs its first half second held 276–1,405 slow calls. With a 2 s pre-roll at the row's load but the
          counters read as the window opened, 12–1,801 (seven runs, median 395); with the reading moved before the pre-roll,
          0–102 (four runs). So the players now run at the row's load for 2 s before the window opens (those calls are not
          measured), and the counters are read before that pre-roll: CPU and allocation per call are over the pre-roll's
          calls and the window's.
        - **PostgreSQL's autovacuum of the claims table.** Every row writes its history to a fresh database, whose claims table
          grows from nothing to about 700,000 rows in the row's minute and a half, and PostgreSQL vacuums a table after 20%
          more rows and analyzes it after 10%: every few seconds. Five of the six vacuum-and-analyze passes that ended inside a
          window (05:24:44, 05:27:59, 05:29:15, 05:30:57, 05:33:41) came with a burst of 660–4,000 slow calls, up to 99 ms
          (the first made that run's p99 50.6 ms); the sixth came in a fast moment of the machine. A migration now has
          autovacuum take the claims table every million claims (docs/gameserver.md). Since then, three passes in an hour of
          benchmarks, each after its row had ended.
        - **What is left is the game server's**: bursts of 100–650 slow calls after its longer GCs (a gen2, or a gen0 of 8–12
          ms), and the machine's drift. With the three causes gone, the same code at the same rate kept the machine 1.51–1.77
          cores busy, and p99 followed: 14.9, 21.1 and 31.3 ms.
        - **Tried, not kept**, two interleaved pairs each at 11,000/s: one server GC heap (`DOTNET_GCHeapCount=1`): 3–4 GCs in
          the window instead of 11–17, 42–50 ms of pauses instead of 80–83, p99 16.9 and 28.1 ms against 15.3 and 25.8 (each
          pair followed the drift); at most two thread-pool workers in the server (`DOTNET_ThreadPool_ForceMaxWorkerThreads=2`):
          no change.
        - **What the open loop pays that the closed loop does not** (`perf stat` of each process for 5 s: at 11,000/s, and at
          an offered 30,000/s that saturates the machine at 15,307/s, where the calls queue as in the peak row). Sends and
          receives per claim are nearly the same: the server 2.9 and 2.1 at 11,000/s against 2.2 and 2.2 saturated, the clients
          1.0 and 5.4 against 1.1 and 4.0. Thread parking is not: per claim the server switched context 2.8 times (1.3
          saturated) and made 1.4 futex and 1.0 `sched_yield` calls (0.5 and 0.4), the clients 2.4 context switches (0.75),
          1.2 `sched_yield` (0.08) and 0.3 futex calls (0.03). CPU per claim: server 80 µs against 56, clients 69 against 48.
          The open loop's extra cost is thread-pool workers that spin, sleep and are woken for each piece of work, in both
          processes; the server's thread-pool workers alone switched context 52,000 times a second at 11,000 claims
          (`perf stat --per-thread`).
        - **The full run of 05:54 (recorded above), with all of it**: p99 at half of peak 15.9 ms in memory with JSON (1.45
          cores busy), 22.8 ms with MessagePack (1.59); with Redis 24.4 ms (JSON, 1.78 cores) and 40.0 ms (MessagePack,
          1.69). Redis claims at 66% (JSON) and 47% (MessagePack) of the echo. A run of the Redis rows alone right after
          (06:06): p99 at half of peak 24.3 ms (JSON, 1.71 cores) and **18.2 ms** (MessagePack, 1.66 cores); claims at 42% and
          45% of the echo. A second full run (06:14–06:31, the machine slower: a quarter of peak cost 1.25–1.61 cores): p99 at
          half of peak 28.3 and 34.9 ms in memory, 29.5 and 20.3 ms with Redis (JSON, MessagePack; 1.61–1.77 cores); Redis
          claims at 51% and 48% of the echo. The window now shows the server's steady state, and half of peak still keeps the
          2 cores 1.45–1.78 busy: the aim's p99 is met when that stays low (2 of the 10 half-of-peak rows of the three runs),
          and not otherwise.

        ### Round six: an A/B at one load, idle workers that block, inline completions (2026-11-30 02:50–04:40 UTC)

        The machine's speed drifted within minutes this morning: the echo peak was 33,044–49,070/s in unchanged runs minutes
        apart, and the server's CPU per claim at the Redis peak 33–57 µs. The half-of-peak row runs at half of a peak measured
        a minute before it, so the same code kept the machine 1.59–1.80 cores busy at half of peak, and p99 followed: 20.3,
        21.6, 23.3, 26.2 and 74.0 ms in unchanged runs of the MessagePack Redis rows, 20.0, 20.2 and 21.1 ms for JSON. An
        A/B through the full suite compares two drifts more than two settings.

        - **A/B at one load.** `GG_BENCH_HALF_RATE=n` runs only the open loop, at n claims a second (`GG_BENCH_HALF_RATE=11000
          … -- gameserver 15 0 redis,MessagePack`, about a minute a run; it prints its rows and leaves this section alone), so
          that two settings meet the same rate; run them interleaved, A, B, A, B.
        - **Idle workers that block instead of spinning** (`System.Threading.ThreadPool.UnfairSemaphoreSpinLimit=0`; the
          default is 70; round four tried it once, in both processes). In the server alone, at 11,000 MessagePack claims a
          second, three interleaved pairs: server CPU 61–75 µs per claim against 74–83, 1.49–1.78 cores busy against
          1.71–1.89, p99 14.9, 38.9 and 42.1 ms against 33.3, 37.9 and 69.8. It did not hold in the full suite with JSON (two
          pairs, in the server's runtimeconfig against `DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=46`, which the runtime
          reads as hexadecimal, so 70): server CPU at half of peak 82–88 µs against 79–89, p99 32.6 and 51.9 ms against 21.1
          and 20.2, peaks 16,224 and 19,729/s against 17,025 and 18,210/s. A full run with it (04:10): p99 at half of peak
          19.5 and 17.9 ms for the in-memory store (JSON, MessagePack), 25.3 and 31.6 ms for Redis. Not kept: what it saves
          at one load does not outlast the drift in the aim's p99.
        - **Inline socket completions** (`DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1`, server and clients). At 11,000/s:
          p99 25.7–32.4 ms against 33.3–69.8, the clients' allocation 5.2–5.5 KiB per claim against 6.8–7.9, the server's
          CPU unchanged (79–81 µs). With spinning off as well: server 62–76 µs against 72–81, clients 52–61 against 64–70,
          p99 14.6, 27.7 and 36.1 ms against 29.6 and 40.2. Three full runs (two with it in both processes, one in the
          clients alone): the echo rose with the claims or more (claims at 45%, 56% and 47% of an echo of 49,130, 37,569 and
          50,712/s), p99 at half of peak 17.4, 24.8 and 24.6 ms. Not kept: the gain is mostly the clients', which moves the
          ratio aim the wrong way, and in the server it would run Npgsql's and the Kubernetes client's continuations on the
          socket threads.
        - **Kestrel's `UnsafePreferInlineScheduling`, with inline completions**, in the server (round two tried it alone): at
          11,000/s p99 27.1, 33.5 and 52.5 ms, server CPU 73–80 µs: no gain.
        - **Where the wake-ups are** (`perf stat -a` for 5 s of a half-of-peak window, at 8,336 claims/s): 54,000 context
          switches a second (6.5 a claim), 10,000 futex calls, 13,000 sends and 26,000 receives.
        - **The JSON Redis row's peak** was 15,564–19,729/s in six runs this morning (34–48% of the echo; 38–41% in the three
          with the code unchanged), against 24,340/s (62%) at 02:17. The code of that run (commit 8679369), built and run
          again at 04:30, made 15,729/s (37%), and the current code 18,493/s (38%) right after it: nothing since lost it;
          02:17 was that row's best run, and the ratio aim for JSON with Redis is met in some runs, not reliably.
        - **Where this leaves the aims.** With the current code the Redis rows' p99 at half of peak was 20 ms or less in one
          of eight unchanged runs (20.0 ms; 20.2–26.2 ms in six, 74.0 in one), and the in-memory rows met it in the one full
          run with spinning off; the clients on the same 2 cores, and a machine whose speed moves by a third within minutes,
          decide the rest. The settings that cut the open loop's CPU at one load (no spinning, inline completions) are the
          direction left, if they can be shown to hold at half of peak; each needs more than two pairs against this drift.

        ### Round five: what stretches a GC pause, a cheaper history, fewer allocations (2026-11-30 00:55–02:31 UTC)

        Seven runs of the Redis rows with MessagePack (`gameserver 8 0 redis,MessagePack`), each with one change or one
        diagnostic; the machine's speed moved through the night (the echo peak 34,762–46,270/s).

        - **A GC pause is long because the machine is busy, not because the heap is.** The server's GC events in the
          half-of-peak window (`dotnet-trace collect --providers Microsoft-Windows-DotNETRuntime:0x1:4`, read with
          TraceEvent): one gen0 GC a second, each promoting 1.6–2.1 MiB; suspending the threads took 0.01–0.1 ms, the GC
          itself 6–9 ms. Right after the window, with the load gone, GCs promoting 0.5–1.3 MiB took 0.5–2 ms. Every
          survivor was reached from the older generations (the GC's mark events: none from stacks or handles): the
          long-lived async loops of the connections and the pools hold each moment's in-flight objects. The history
          pump's batch is not what survives: with batches of 50 instead of 500 the GCs still promoted 1.5–2.3 MiB (and the
          pump's extra round trips made half of peak cost 1.89 cores).
        - **Kept: the history costs less per claim.** PostgreSQL takes a batch of claims as one `INSERT … SELECT FROM
          unnest(…)` over six arrays, instead of six parameters (and six boxed values) per claim; the Redis stream entries
          are read without a dictionary and a string per field; the acknowledgements of a batch's games and the lag query
          are pipelined, one round trip instead of one per game. Server allocation per claim at half of peak: 5.2–5.6 KiB in
          three runs after, 5.9–6.0 before. p99 at half of peak in the runs after: 22.2, 20.8 ms (and 79.6 ms in the run
          with the shared tick below).
        - **Kept: fewer allocations per claim.** A trace of the allocations' stacks at half of peak (`dotnet-trace
          collect --providers Microsoft-Windows-DotNETRuntime:0x1:5`) put 14% of the server's bytes in our own per-claim
          objects: the rules' sets for checking a batch (built even for a batch of one), the player id found among the
          token's claims on every call, a rate-limit filter built for every invocation, the claim queue's list per batch,
          an iterator and a list around the batch's requests; and StackExchange.Redis's async wrapper of the script call
          by its text (the claim script now goes by its hash, the text only after a NOSCRIPT). Server allocation per
          claim at half of peak 4.9 KiB against 5.6 in the run before (both during another engineer's build), 4.6 KiB in
          the recorded run of 02:17. Then a game hub activator of our own (SignalR's default is a scoped service, and
          the scope it opens for every invocation built a dictionary to hold it) and a `ClaimCell` that hands the
          game's task straight back (the game counts the claim): in one run at 02:31, 4.2 KiB per claim at half of peak,
          and a peak of 27,949/s, 64% of the echo, at 32 µs of server CPU per claim; p99 at half of peak 26.8 ms, at
          13,964/s and 1.77 cores busy. A cheaper claim raises the peak, and half of a higher peak keeps the machine as
          busy as before: the p99 aim does not move with the cost per claim. What is left per claim is mostly
          SignalR's own (the async state machines of its dispatch, the scope, the messages) and the five async methods
          a claim passes through on its way to Redis.
        - **Tried, not kept:**
          - One tick for all games: a claim waits for the next 50 ms slot of a grid the server's games share, so busy
            games send together and the threads that write the frames wake once a tick. At a quarter of peak the server
            used 104 µs per claim and the clients 102 (1.34 cores busy at 5,938/s, against 1.62 at 5,638/s before); but at
            half of peak the 1,000 frames of each tick leave in one burst and the claims queue behind them: p50 13.6 ms,
            p99 79.6 ms, announce p50 46.6 ms. A first version, which counted the next slot from when the late timer
            fired, ticked every 100 ms instead of 50: that is round four's 100 ms interval again.
          - The server at a higher priority than the clients (nice −5 on all its threads): the peak fell to 14,577/s (40%
            of the echo), as the clients that drive it got less CPU; p99 at half of peak 42.8 ms.
          - Server GC threads free to run on either core (`DOTNET_GCNoAffinitize=1`): the gen0 GCs still took 6–7 ms;
            p99 at half of peak 20.8 ms, within the spread.

        ### Round four: where half of peak spends the machine (2026-11-29 22:26–23:52 UTC, nobody else on the machine)

        Twelve runs of the Redis rows with MessagePack (`gameserver 8 0 redis,MessagePack`, about 4 minutes each), seven of them
        with nothing changed. New columns: Redis and PostgreSQL CPU per call (their processes' own CPU time) and "cores busy",
        the four processes' CPU per call times the call rate.

        - **Run to run, nothing changed**: claims at 48–51% of the echo; p99 at half of peak 18.9, 20.7, 25.0, 36.3, 42.2, 46.2 and
          73.7 ms. The p99 follows how busy half of peak keeps the machine: 1.64–1.69 cores gave 19–46 ms, 1.92 cores 74 ms.
          The half-of-peak rate is half of a peak that itself moves ±12%, so a run with a high peak has a half row that
          saturates the machine.
        - **Half of peak costs nearly what the peak costs.** From the quarter to the half row the server's CPU grows by only
          0.14 core for 5,100 more claims a second (27 µs a claim); the other 0.56 core does not depend on the claim rate, and
          the clients' likewise (19 µs a claim, 0.51 core fixed). Part of what is fixed is the announcements: every game with a
          claim in the last 50 ms sends its ten players a `CellsClaimed`, 20,000 frames a second at any rate above 20 claims a
          second per game (halving them took about 0.1 core off each side, below); the rest is threads that wake, find
          little to do and sleep again, which the closed loop at peak never pays. perf at a quarter of peak (`perf record -a -g`): no hot spot; thread-pool workers spinning
          before they sleep (`LowLevelLifoSemaphore.Wait`, `sched_yield`) take 3–4% of the machine.
        - **The slow calls come in bursts after the server's GCs** (`GG_BENCH_TAIL=1`: slow calls by due time in 100 ms
          buckets beside both processes' GC pauses). In a run with p99 18.9 ms, each of the five 100 ms buckets with 20 or more
          slow calls after the window's first 200 ms was one in which the server paused for a GC (6–9 ms, every 0.6 s; about
          half of its GCs left no burst); the clients' pauses (3 ms every 0.25 s) came with none. A 7 ms pause at 85% busy leaves a queue that takes about 7 / 0.15 ≈ 45 ms to drain, hence 25–38 ms
          latencies from a 7 ms pause. The server allocates 10–11 KiB per claim at half of peak (an echo: 4 KiB); byte
          arrays are a third of it, on the small object heap (not Kestrel's pinned blocks: `GG_BENCH_ALLOCS=1` now marks
          pinned and large allocations, and none was among the top 25 types).
        - **Tried, not kept** (one run each unless said, against the seven above):
          - `GridGame:ClaimAnnounceIntervalMs=100` (10 announcements a second per game): peak 23,475/s, 59% of the echo;
            at a quarter of peak (5,868 claims/s) the server used 0.60 core and the clients 0.50, against 0.62–0.76 and
            0.53–0.66 in the seven runs at 50 ms (4,365–5,971 claims/s); p99 at half of peak 37 ms, because
            half of the higher peak is a higher rate (1.66 cores busy). Announce p50/p99 doubled to 56/110 ms. The default
            stays 50 ms, for the players; a denser server can set 100 (docs/gameserver.md).
          - Thread-pool workers that block instead of spinning (`DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0`, server and
            clients): 10–15% less CPU per claim at a quarter of peak, but peak 18,267/s; p99 at half 20.6 ms at that lower rate.
          - Server GC without DATAS (`DOTNET_GCDynamicAdaptationMode=0`): one GC in the half-of-peak window instead of 13, but
            peak 17,636/s and p99 23.9 ms, with bursts of slow calls that no GC explains.
          - A 256 MB gen0 budget (`DOTNET_GCgen0size=0x10000000`): 4 GCs in the window, but 15–70 ms each: p99 at half 63.7 ms.
          - Workstation GC in the server (`DOTNET_gcServer=0`), two runs: 52% and 45% of the echo; 51–59 GCs of about 2.5 ms
            in the half-of-peak window instead of 13 of 7 ms, still with bursts of slow calls; p99 at half 24.9 ms (at
            11,852/s, 1.72 cores) and 25.2 ms (10,080/s, 1.65 cores), within the spread of the server GC's runs.
        - **Adopted: a shared ArrayPool big enough for the fan-out.** An allocation trace of the half-of-peak server
          (`dotnet-trace collect --providers Microsoft-Windows-DotNETRuntime:0x1:5`, the allocation ticks' stacks read with
          TraceEvent) put 80% of its byte arrays in `Pipe.AllocateWriteHeadSynchronized` under `ClaimAnnouncer.SendPending`:
          writing a batch to a player's SignalR pipe rents a 4 KB segment from `ArrayPool<byte>.Shared`, the transport's
          send loop returns it from another thread, and with the pool's 32 arrays per size per core the ten writes of every
          tick overflowed it, so most rents were new arrays. Dockerfile.gameserver now sets
          `DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=1024` (an environment variable the pool reads once), and
          the benchmark runs its server so. A/B at 00:03 (machine slower than earlier: echo 33,437/s): server KiB per claim
          4.3 at peak (11.3–11.9 before), 7.2 at half (9.6–10.6) and 8.8 at a quarter (10.7–11.6), per echo 1.1 (4.0–4.2);
          server GCs in the half-of-peak window 8 (11–17); p99 at half 22.2 ms at 8,173/s (1.59 cores busy).
        - **Measuring the machine.** /proc/stat is no guide here: under this load its counters fell a third short of the wall
          clock (243 of 401 ticks in 2 s), while each process's CPU time adds up; hence "cores busy" from the processes.
        - **Then the Redis keys.** A second trace, with the larger pool, had no pipe segments left among the byte arrays
          (the receive side's went too); half of the server's strings were the five Redis keys `RedisGameStore` built for
          every claim batch. It builds them once per game now. A/B at 00:35 (`redis,MessagePack`): server KiB per claim 5.9 at half of peak (6.6–7.4 with the
          pool alone), 7.3 at a quarter (8.5–9.3), 4.1 at peak (4.3); peak 24,162/s, 48% of the echo; p99 at half 24.3 ms
          at 12,076/s (1.75 cores busy).
        - **Next.** The aim's p99 needs the server's open-loop cost per claim closer to its closed-loop cost, or still
          fewer allocations per claim (fewer GCs, so fewer bursts): the history pump's stream reads (StackExchange.Redis
          copies every field into a byte array), then our own per-claim objects (arguments, lists, results).

        ### Round three: batched announcements, and a warm-up to steady state (2026-11-29 20:05–21:41 UTC)

        Before (19:44, round two): claims at 32–38% of the echo; p99 at half of peak 105–209 ms, at a quarter 20–30 ms.

        - **The measured window was not steady.** `perf` on the server (run it under `GG_BENCH_SERVER_ENV="DOTNET_PerfMapEnabled=1
          DOTNET_EnableWriteXorExecute=0"`) showed 10–20% of its CPU in the JIT (libclrjit.so) during the window: 20 calls per
          player left TieredPGO's recompiles to happen inside it. The warm-up now runs at the row's own load until the JIT has
          settled (above), and the JIT takes 0.0–0.5% of the server's CPU in the window. The echo gained the most from it (JSON
          35,815 → 42,852/s, MessagePack 41,748 → 55,795/s), so the ratio's denominator rose with the claims.
        - **Claims are announced in batches** (`CellsClaimed`, at most one message per game per 50 ms; docs/gameserver.md).
          perf showed the server's CPU going mostly to socket sends (`__send` 25% of samples, the WebSocket send loop 13%):
          a claim was eleven frames. At half of peak a claim now costs about three (its answer and a share of the game's
          ticks). Peak claims: 17,740–24,085/s (round two: 13,038–15,715/s); server CPU per claim at peak 40–60 µs (85–93 µs);
          p99 at half of peak 23–47 ms (105–209 ms); at a quarter of peak 12–15 ms (20–30 ms). The price is the other
          players' view: a claim waits for its game's next tick, so the announce p50 is 27–37 ms and the p99 54–81 ms at half
          and quarter of peak.
        - **Where the aims stand.** Claims at 35–45% of the echo (aim ≥ 50%): a claim is still an invocation, its answer, the
          group commit, a Redis round trip and a share of ten announcement frames, against the echo's invocation and answer.
          p99 at half of peak 23–47 ms (aim ≤ 20 ms): in the open loop the server spends 70–102 µs per claim and the clients
          56–90 µs, so at half of peak the two processes, Redis and PostgreSQL use most of the 2 cores, and any pause (a GC,
          a burst of ticks) leaves a queue that drains slowly. A run at 20:59 with another engineer building (load 3.0–3.6)
          had 47–61% and 23–91 ms: under load the echo ceiling fell more than the claims did.
        - **Run to run** (Redis rows, all at steady state with batched announcements, 20:59–21:58): claims at 61, 41, 52 and
          48% of the echo (JSON) and 47, 43, 50 and 56% (MessagePack); p99 at half of peak 91, 46, 47 and 29 ms (JSON) and 75,
          23, 60 and 22 ms (MessagePack). The aim's ratio is met in about half the runs; the half-of-peak p99 in none.
        - **Tried, not kept**: StackExchange.Redis on the .NET thread pool (`SocketManager.ThreadPool`) instead of its own
          threads, A/B back to back at 21:43–21:58: server CPU per Redis claim 41–46 against 39–44 µs at peak and 66–76
          against 72–80 µs at half of peak, within the noise. Seen, not yet changed: StackExchange.Redis pushes a write to
          its backlog (a thread of its own) when another game holds the connection's write lock; 100 games share one
          multiplexer.

        ### Round two: the server in its own process (2026-11-29 19:27–19:47 UTC, nobody else on the machine)

        Before (quiet run of 19:11 UTC, server and clients in one process, workstation GC): Redis claims at 42%
        (MessagePack) / 23% (JSON) of the echo rate; p99 at half of peak 33–98 ms, at a quarter 14–20 ms.

        - **Where the cycles go.** Peak rows of five runs (load average 2.3–6.2; with nobody else on the machine, the
          load is this benchmark's own threads): the server spends 71–101 µs of CPU per claim and the clients 31–57 µs;
          an echo costs 21–30 µs on the server and 18–28 µs in the clients. A claim is 3–4× an echo on the server: one
          invocation and its answer, then ten `CellClaimed` frames to ten sockets, the group commit and the history.
        - **Half of peak is still saturated.** In the open loop the server's CPU per claim goes to 139–188 µs and the
          clients' to 65–106 µs (every frame is its own write and wake-up; the closed loop coalesces them). At half the
          peak rate that is (160 + 85 µs) × 8,000/s ≈ 1.9 of the 2 cores, so calls queue: p99 98–153 ms. At a
          quarter of peak p99 is 17–41 ms and p50 2–5 ms. The aim's p99 is a question of CPU per claim on 2 cores
          shared with the clients, not of the store (in-memory and Redis rows are alike).
        - **GC.** The server runs server GC (the Web SDK's `System.GC.Server`, confirmed by the server process) and
          pauses 1.5–3.5% of a run; the clients' workstation GC pauses 7–11% (400–900 ms per 6–8 s), and the driver's
          clocks stop with it, so part of every p99 is the client's own pauses. The server allocates 9–13 KiB per claim
          at peak and 23–30 KiB at half of peak (an echo: 4 KiB); sampled (`GG_BENCH_ALLOCS=1`, the server samples
          itself), byte arrays are 40–60% (SignalR and Kestrel buffers per frame) and the SQLite history's EF Core
          parameters about 6% (in-memory store).
        - **Tried, not kept.** Kestrel's `UnsafePreferInlineScheduling` (`GG_BENCH_INLINE=1`, three runs A/B/A, load
          2.6–6.2): peak server CPU per claim 71–89 µs against 88–93 µs, allocation 9.1–9.8 against 11.7–12.4 KiB, the
          half-of-peak p99 unchanged within the noise (98–137 against 107–150 ms); it runs hub code on the socket
          threads, where one slow call stalls every connection of that thread, too big a risk for 5–10% CPU.
          `DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1` (`GG_BENCH_SERVER_ENV`): no change beyond the noise.
        - **Server GC without DATAS** (`DOTNET_GCDynamicAdaptationMode=0`, A/B at 19:45–19:47, load 2.8–5.9): 1–8
          server GCs per row instead of 9–23, pauses 7–93 ms instead of 36–180 ms per 6 s (about 1% of the run), same CPU
          per claim and p99 within the noise; not adopted (the .NET default, and a bigger heap per core).

        ### Before this work

        The run of 2026-11-29 17:40 UTC (load average 1.68, the old driver: open loop measured from the actual send,
        no client event handlers, the peak server still running during the half-of-peak run): echo 18,093 (JSON) and
        31,015 (MessagePack) calls/s; in-memory claims 9,145 / 12,653 per s (51% / 41%), p99 at half of peak 138.6 /
        130.2 ms; Redis claims 3,571 / 4,848 per s (20% / 16%), p99 at half of peak 13.2 / 13.0 ms; 36.6 KiB per idle
        connection.

        ### Group commit: before and after (Redis store, the same driver, back to back)

        Commit 20b2625 (a claim holds its game's gate across its own Redis call) against the group commit, 6 s runs,
        2026-11-29 18:27–18:29 UTC, load average 5.2 before and 9.2 after (other engineers' builds): throughput moves
        with the load, so compare the CPU and allocation per claim, which do not depend on it much.

        | Redis store | protocol | claims/s at peak (echo in the same run) | CPU µs/claim at peak | KiB alloc/claim at peak |
        | --- | --- | ---: | ---: | ---: |
        | before | JSON | 2129 (14363: 15%) | 569 | 79.6 |
        | after | JSON | 2129 (9362: 23%) | 226 | 32.1 |
        | before | MessagePack | 2190 (12938: 17%) | 407 | 80.0 |
        | after | MessagePack | 5070 (13827: 37%) | 160 | 33.9 |

        Before, a game made one claim per Redis round trip and its other claims waited on the gate; now the claims that
        queue during a round trip go in the next script call (2 calls for 100 concurrent claims of one game in
        `GroupCommitTests`), and the Redis store's peak is bound by CPU like the in-memory one, not by Redis latency.

        ### Why p99 at half of peak is far above 20 ms (before: 131–139 ms in memory, 13 ms with Redis)

        - **Not the store and not the game's gate**: the in-memory claim path never waits on either. Thread-pool
          starvation is not shown either: nothing on the claim path blocks (the SQLite history pump does block one
          pool thread while it commits, Microsoft.Data.Sqlite being synchronous, but with the in-memory history moved
          to PostgreSQL, or with 16 minimum worker threads forced, the p99 stayed in the hundreds of ms at load 8–11).
        - **The peak is measured where work is cheapest.** The peak is a closed loop with 1,000 callers always waiting,
          so messages queue and are sent, received and parsed in batches. In the open loop at half that rate every one
          of the two dozen messages a claim causes (sent and received; the clients share the process) costs its own
          send, wake-up and receive. In-memory JSON, first run of this work (load 2.8 rising to 4.3): 189 µs of CPU per
          claim at peak, 388 µs at half of peak, 4,701 claims/s — 1.8 of the 2 cores, saturated, hence queueing. At a
          quarter of the peak p50 is 2 ms for every store. The Redis store looked better only because its peak was
          capped by Redis round trips at a rate whose half left the cores idle; with group commit its peak is
          CPU-bound too and its half-of-peak row behaves like the in-memory one.
        - **The half rate comes from a peak measured moments before** on a machine shared with two other engineers: a
          peak taken in a quiet moment and a half-of-peak run in a busy one saturate what is left (a run at 18:57 UTC: the
          load went from 3 to 9 during it; in-memory MessagePack at half of peak had p50 291 ms with its process
          using only 0.7 of a core).
        - **The driver charged the claims for its own mistakes**: its clients had no handlers for the events they
          receive, so the SignalR client threw and caught an `InvalidDataException` for each of the ten broadcasts a
          claim causes (found with `GG_BENCH_ALLOCS=1`); the peak server was still writing its history backlog into
          the half-of-peak run. Both fixed; the echo is now also run at half of its peak, the same way.
        - **GC pauses** add to it: the benchmark process (clients and server) runs workstation GC and pauses for 10–25%
          of a run (GC columns); the game server in production runs server GC (`System.GC.Server` in its runtimeconfig).
        - Still open: the aim is not met on this 2-core machine with the clients in the same process. Next: run the
          server in a process of its own (server GC, its own CPU counted), and pace the half-of-peak run from a peak
          re-measured right before it.

        """;

    private static string Row(string name, string protocol, string load, Result r, bool echo = false) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {protocol} | {load} | {r.PerSecond:F0}{(r.RanOut > 0 ? $" ({r.RanOut} players ran out of cells)" : "")} | {r.P50:F2} | {r.P99:F2} | {r.P99Sent:F2} | {Announce(r.AnnounceP50, echo)} | {Announce(r.AnnounceP99, echo)} | {r.Server.CpuMicros:F0} | {r.Client.CpuMicros:F0} | {r.Machine.RedisMicros:F0} | {r.Machine.PostgresMicros:F0} | {(r.Server.CpuMicros + r.Client.CpuMicros + r.Machine.RedisMicros + r.Machine.PostgresMicros) * r.PerSecond / 1e6:F2} | {r.Server.KiB:F1} | {r.Client.KiB:F1} | {r.Server.Collections} ({r.Server.Gen2}) | {r.Server.GcPauseMs:F0} | {r.Client.GcPauseMs:F0} | {r.Warmup.Seconds:F1} | {r.Server.JitMs:F0} ({r.Server.JitMethods}; {r.Server.JitShare * 100:F1}%) |\n");

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
