using System.Globalization;
using GridGame.GameServer.Tests.Infrastructure;
using k8s;
using k8s.Models;
using Npgsql;

namespace GridGame.GameServer.Tests.History;

/// <summary>
/// The history database's restore drill: games played into a real PostgreSQL, dumped by the very script and
/// settings the backup CronJob runs (config/backup), the database cluster destroyed, the dump restored into a
/// freshly made cluster by the restore script the runbook uses, and every table compared row by row.
/// </summary>
public sealed class HistoryRestoreDrillTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public async Task Finished_games_come_back_identical_from_the_shipped_backup_into_a_new_server()
    {
        var backups = Directory.CreateTempSubdirectory("gg-backups-");
        try
        {
            string dump;
            IReadOnlyDictionary<string, IReadOnlyList<string>> before;
            await using (var original = await PrivatePostgres.StartAsync())
            {
                await PlayGamesAsync(original.ConnectionString, games: 3);
                before = await SnapshotAsync(original.ConnectionString);
                dump = await BackUpAsync(original.Port, backups.FullName);
            }
            // The original cluster is gone (stopped and its data directory deleted); a new one on another port.
            await using var restored = await PrivatePostgres.StartAsync();
            await RunScriptAsync("history-restore.sh", restored.Port, [dump], new Dictionary<string, string>());

            var after = await SnapshotAsync(restored.ConnectionString);

            before["games"].Should().HaveCount(3);
            before["claims"].Should().HaveCount(27);
            before["results"].Should().HaveCount(6);
            after.Keys.Should().BeEquivalentTo(before.Keys);
            foreach (var (table, rows) in before)
            {
                after[table].Should().Equal(rows, $"table {table} is restored row for row");
            }
        }
        finally
        {
            backups.Delete(recursive: true);
        }
    }

    /// <summary>Games played to the end on a real game server writing its history to <paramref name="connectionString"/>.</summary>
    private static async Task PlayGamesAsync(string connectionString, int games)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["ConnectionStrings:Redis"] = TestServices.Redis,
            ["GridGame:RedisPrefix"] = TestServices.RedisPrefix(),
            ["GridGame:HistoryBatchSize"] = "4",
            ["GridGame:Game:BoardSize"] = "3",
        });
        for (var game = 0; game < games; game++)
        {
            await using var alice = await server.ConnectAsync("alice");
            await using var bob = await server.ConnectAsync("bob");
            var session = $"drill-{game}";
            await alice.JoinAsync(session);
            await bob.JoinAsync(session);
            for (var cell = 0; cell < 9; cell++)
            {
                await ((cell + game) % 2 == 0 ? alice : bob).ClaimAsync(cell / 3, cell % 3);
            }
        }
        await Eventually.UntilAsync(async () => await CountAsync(connectionString, "results") == games * 2, "every result is in PostgreSQL", timeout: TimeSpan.FromSeconds(30));
    }

    /// <summary>Runs the CronJob's command with the CronJob's environment, BACKUP_DIR pointed at a local directory.</summary>
    private static async Task<string> BackUpAsync(int port, string directory)
    {
        var manifest = await File.ReadAllTextAsync(Path.Combine(Root, "config/backup/history-backup.yaml"));
        var cronJob = KubernetesYaml.LoadAllFromString(manifest).OfType<V1CronJob>().Single();
        var container = cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers.Single();
        container.Command.Should().Equal("/bin/sh", "/scripts/history-backup.sh");
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value);
        env["BACKUP_DIR"] = directory;

        var output = await RunScriptAsync("history-backup.sh", port, [], env);

        var dumps = Directory.GetFiles(directory, "gridgame-history-*.dump");
        dumps.Should().ContainSingle($"the backup writes one dump ({output})");
        Directory.GetFiles(directory, "*.partial").Should().BeEmpty();
        return dumps[0];
    }

    /// <summary>A script of config/backup run by /bin/sh with libpq's variables for the server on <paramref name="port"/>.</summary>
    private static Task<string> RunScriptAsync(string script, int port, IEnumerable<string> args, IDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string>(environment)
        {
            ["PATH"] = TestServices.PostgresBin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["PGHOST"] = "127.0.0.1",
            ["PGPORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["PGUSER"] = "postgres",
            ["PGDATABASE"] = "postgres",
        };
        return TestServices.RunAsync("/usr/bin/env", [.. variables.Select(v => $"{v.Key}={v.Value}"), "/bin/sh", Path.Combine(Root, "config/backup", script), .. args]);
    }

    /// <summary>Every row of every table of the public schema, as text, in a fixed order.</summary>
    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var snapshot = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            // Whole rows as text, sorted as text: independent of keys, column types and physical order.
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t ORDER BY 1", connection);
            await using var reader = await select.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
            snapshot[table] = rows;
        }
        return snapshot;
    }

    private static async Task<long> CountAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridGame.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("GridGame.sln not found above " + AppContext.BaseDirectory);
    }
}
