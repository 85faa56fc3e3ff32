using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.Benchmarks.Soak;
using Npgsql;

namespace GridGame.Benchmarks;

/// <summary>
/// Games played without pause by real SignalR clients against real game-server processes (Redis with its append-only
/// file, PostgreSQL history), while Redis is killed, PostgreSQL restarted and a game server killed, each on a schedule
/// of its own. Passes when every acknowledged claim is in the history and every game reached an end there.
/// </summary>
internal sealed class SoakBenchmark : IBenchmarkSuite
{
    private const string SigningKey = "soak-signing-key-that-is-long-enough-for-hs256-tokens";
    private const int Servers = 2;
    private const int GamesAtOnce = 8;
    private const int PlayersPerGame = 3;
    private const int BoardSize = 6;
    private const int GameSeconds = 40;

    /// <summary>First fault and period of each schedule: apart, so their effects can be told apart and sometimes overlap.</summary>
    private static readonly (string Name, TimeSpan First, TimeSpan Every)[] Schedules =
    [
        ("game-server SIGKILL", TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(90)),
        ("Redis SIGKILL", TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(150)),
        ("PostgreSQL restart", TimeSpan.FromSeconds(115), TimeSpan.FromSeconds(210)),
    ];

    public string Name => "soak";

    public string Description => "games played for N minutes while Redis is killed, PostgreSQL restarted and game servers killed: acknowledged vs stored claims, stuck games";

    public string Command => "dotnet run -c Release --project tests/GridGame.Benchmarks -- soak [minutes]";

    public bool InAll => false;

    public int ExitCode { get; private set; }

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        await using var redis = new SoakRedis();
        await using var postgres = new SoakPostgres();
        await redis.StartAsync(cancellationToken);
        await postgres.StartAsync();
        var history = await postgres.CreateDatabaseAsync("gg_soak");
        var environment = new Dictionary<string, string>
        {
            ["Auth__SigningKey"] = SigningKey,
            ["ConnectionStrings__Redis"] = redis.Endpoint,
            ["ConnectionStrings__Postgres"] = history,
            ["GridGame__Standalone"] = "true",
            ["GridGame__OpsPort"] = "0",
            ["GridGame__Connections__PerAddress"] = "0",
            ["GridGame__Game__BoardSize"] = BoardSize.ToString(CultureInfo.InvariantCulture),
            ["GridGame__Game__MinPlayers"] = "2",
            ["GridGame__Game__MaxPlayers"] = PlayersPerGame.ToString(CultureInfo.InvariantCulture),
            ["GridGame__Game__DurationSeconds"] = GameSeconds.ToString(CultureInfo.InvariantCulture),
            ["GridGame__Game__ClaimCooldownMs"] = "200",
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION"] = "1024",
        };
        var servers = Enumerable.Range(0, Servers).Select(i => new SoakServer(i, environment)).ToList();
        try
        {
            await Task.WhenAll(servers.Select(s => s.StartAsync(cancellationToken)));
            var ledger = new SoakLedger();
            var clock = Stopwatch.StartNew();
            var until = TimeSpan.FromMinutes(minutes);
            using var stopFaults = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var faults = new FaultCounts();
            var faulting = Task.WhenAll(
                RepeatAsync(Schedules[0], clock, until, faults, async n =>
                {
                    var server = servers[n % servers.Count];
                    await server.KillAsync();
                    await server.StartAsync(cancellationToken); // the kubelet's first restart is immediate
                }, stopFaults.Token),
                RepeatAsync(Schedules[1], clock, until, faults, async _ =>
                {
                    await redis.KillAsync();
                    await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                    await redis.StartAsync(cancellationToken);
                }, stopFaults.Token),
                RepeatAsync(Schedules[2], clock, until, faults, _ => postgres.RestartAsync(), stopFaults.Token));

            var games = await PlayAsync(servers, ledger, clock, until, cancellationToken);
            await stopFaults.CancelAsync();
            await faulting;
            var played = clock.Elapsed;

            // The history pumps may still be writing what waited while PostgreSQL or Redis was down: give them two
            // minutes to catch up, then stop the servers (SIGTERM: drain, flush) and read what the history holds.
            var names = games.ToArray();
            var settle = Stopwatch.StartNew();
            while (settle.Elapsed < TimeSpan.FromMinutes(2) && !Converged(await StoredAsync(history, names, cancellationToken), ledger))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            await Task.WhenAll(servers.Select(s => s.StopAsync()));
            var stored = await StoredAsync(history, names, cancellationToken);
            return Report(minutes, played, games, ledger, stored, faults);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Keeps <see cref="GamesAtOnce"/> games in play until the time is up, then lets the last ones end.</summary>
    private static async Task<List<string>> PlayAsync(List<SoakServer> servers, SoakLedger ledger, Stopwatch clock, TimeSpan until, CancellationToken cancellationToken)
    {
        var games = new List<string>();
        var running = new List<Task>();
        var next = 0;
        while (clock.Elapsed < until)
        {
            while (running.Count < GamesAtOnce)
            {
                var game = $"soak-{next:D5}";
                var server = servers[next % servers.Count];
                next++;
                games.Add(game);
                // A game the players cannot finish (a server that never recovers it) shows as stuck in the history.
                var giveUp = TimeSpan.FromSeconds(GameSeconds * 4);
                running.Add(Task.WhenAll(Enumerable.Range(0, PlayersPerGame).Select(p =>
                    new SoakPlayer(server.BaseUrl, game, $"{game}-p{p}", SigningKey, ledger).PlayAsync(BoardSize, giveUp, cancellationToken))));
            }
            var done = await Task.WhenAny(running);
            running.Remove(done);
            await done;
        }
        await Task.WhenAll(running);
        return games;
    }

    private static async Task RepeatAsync((string Name, TimeSpan First, TimeSpan Every) schedule, Stopwatch clock, TimeSpan until, FaultCounts counts, Func<int, Task> fault, CancellationToken cancellationToken)
    {
        var at = schedule.First;
        var n = 0;
        try
        {
            while (at < until)
            {
                var wait = at - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:F0} s  {schedule.Name}"));
                await fault(n++);
                counts.Add(schedule.Name);
                at += schedule.Every;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The history's claims of these games, and each game's end (null: not finished there).</summary>
    private static async Task<Stored> StoredAsync(string history, string[] games, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(history);
        await connection.OpenAsync(cancellationToken);
        var claims = new HashSet<(string, long)>();
        await using (var command = new NpgsqlCommand("SELECT game_id, seq FROM claims WHERE game_id = ANY(@games)", connection))
        {
            command.Parameters.AddWithValue("games", games);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claims.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }
        var endings = games.ToDictionary(g => g, _ => (string?)null);
        await using (var command = new NpgsqlCommand("SELECT id, finish_reason FROM games WHERE id = ANY(@games) AND finished_at IS NOT NULL", connection))
        {
            command.Parameters.AddWithValue("games", games);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                endings[reader.GetString(0)] = reader.IsDBNull(1) ? "?" : reader.GetString(1);
            }
        }
        return new Stored(claims, endings);
    }

    private static bool Converged(Stored stored, SoakLedger ledger) =>
        stored.Endings.Values.All(e => e is not null) && ledger.Acknowledged.Keys.All(stored.Claims.Contains);

    private string Report(double minutes, TimeSpan played, List<string> games, SoakLedger ledger, Stored stored, FaultCounts faults)
    {
        var acknowledged = ledger.Acknowledged.Keys.ToHashSet();
        var lost = acknowledged.Where(c => !stored.Claims.Contains(c)).ToList();
        var unacknowledged = stored.Claims.Count(c => !acknowledged.Contains(c));
        var stuck = stored.Endings.Where(e => e.Value is null).Select(e => e.Key).ToList();
        ExitCode = lost.Count > 0 || stuck.Count > 0 ? 1 : 0;
        var endings = string.Join(", ", stored.Endings.Values.Where(v => v is not null).GroupBy(v => v).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        var md = new StringBuilder()
            .AppendLine("| ran | games | claims acknowledged | stored | acknowledged, not stored | stored, not acknowledged | games not ended | game-server kills | Redis kills | PostgreSQL restarts | claims refused: store unavailable | reconnects | verdict |")
            .AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
            .AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {played.TotalMinutes:F1} min | {games.Count} | {acknowledged.Count} | {stored.Claims.Count} | **{lost.Count}** | {unacknowledged} | **{stuck.Count}** | {faults.Of(Schedules[0].Name)} | {faults.Of(Schedules[1].Name)} | {faults.Of(Schedules[2].Name)} | {ledger.StoreUnavailable} | {ledger.Reconnects} | {(ExitCode == 0 ? "pass" : "FAIL")} |"))
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{Servers} game servers, {GamesAtOnce} games at a time of {PlayersPerGame} players on a {BoardSize}×{BoardSize} board ({GameSeconds} s at most); games ended by: {endings}. Asked for {minutes:0.#} min; faults every {string.Join(", ", Schedules.Select(s => $"{s.Every.TotalSeconds:F0} s ({s.Name}, first at {s.First.TotalSeconds:F0} s)"))}."));
        md.AppendLine().AppendLine("Store unavailable: claims refused while Redis was down. StackExchange.Redis holds commands while it reconnects, so an outage shorter than its timeout (5 s) delays claims rather than refusing them.");
        if (unacknowledged > 0)
        {
            md.AppendLine().AppendLine("Stored, not acknowledged: claims the store took whose answer never reached the player (its server killed, or its connection cut, in between).");
        }
        foreach (var (game, seq) in lost.Take(20))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- lost: {game} seq {seq}");
        }
        foreach (var game in stuck.Take(20))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- not ended: {game}");
        }
        return md.ToString();
    }

    private sealed record Stored(HashSet<(string Game, long Seq)> Claims, Dictionary<string, string?> Endings);

    private sealed class FaultCounts
    {
        private readonly Dictionary<string, int> _counts = [];

        public void Add(string name)
        {
            lock (_counts)
            {
                _counts[name] = Of(name) + 1;
            }
        }

        public int Of(string name)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault(name);
            }
        }
    }
}
