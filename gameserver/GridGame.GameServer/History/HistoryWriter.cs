using System.Globalization;
using System.Text;
using System.Text.Json;
using GridGame.GameServer.Game;
using GridGame.GameServer.Stores;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace GridGame.GameServer.History;

/// <summary>Applies the schema at start and writes batches of game events to the history, each batch in one transaction.</summary>
internal sealed partial class HistoryWriter(IDbContextFactory<HistoryDbContext> factory, ILogger<HistoryWriter> logger)
{
    /// <summary>Any fixed number: the PostgreSQL advisory lock that serializes migrations across servers starting together.</summary>
    private const long MigrationLockId = 0x47524944_47414D45;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.Database.IsNpgsql())
        {
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockId})", cancellationToken).ConfigureAwait(false);
                try
                {
                    await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockId})", CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                await db.Database.CloseConnectionAsync().ConfigureAwait(false);
            }
        }
        else
        {
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        Log.SchemaReady(logger, db.Database.ProviderName);
    }

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            return await db.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Writes the events idempotently (a batch written twice changes nothing the second time), all or nothing.</summary>
    public async Task WriteAsync(IReadOnlyList<GameEvent> events, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var claims = new List<GameEvent>();
        foreach (var e in events)
        {
            if (e.Type == GameEventType.Claimed)
            {
                claims.Add(e);
                continue;
            }
            await InsertClaimsAsync(db.Database, claims, cancellationToken).ConfigureAwait(false);
            await WriteAsync(db.Database, e, cancellationToken).ConfigureAwait(false);
        }
        await InsertClaimsAsync(db.Database, claims, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims are most of the history. PostgreSQL takes a batch as one statement over six arrays (<c>unnest</c>): six
    /// parameters, however many rows. Elsewhere (SQLite) they go in as multi-row inserts, 200 rows a statement.
    /// </summary>
    private static async Task InsertClaimsAsync(DatabaseFacade db, List<GameEvent> claims, CancellationToken ct)
    {
        if (claims.Count == 0)
        {
            return;
        }
        // In key order, so two writers of overlapping batches (a batch taken over from another server) cannot deadlock.
        claims.Sort((a, b) => string.CompareOrdinal(a.GameId, b.GameId) is var byGame and not 0 ? byGame : a.Seq.CompareTo(b.Seq));
        if (db.IsNpgsql())
        {
            await InsertClaimArraysAsync(db, claims, ct).ConfigureAwait(false);
        }
        else
        {
            await InsertClaimRowsAsync(db, claims, ct).ConfigureAwait(false);
        }
        claims.Clear();
    }

    private static async Task InsertClaimArraysAsync(DatabaseFacade db, List<GameEvent> claims, CancellationToken ct)
    {
        // Six parameters for the batch, not six per claim: a parameter object (and a boxed value) per field of every
        // claim was most of what writing the history allocated.
        var games = new string[claims.Count];
        var seqs = new long[claims.Count];
        var players = new string[claims.Count];
        var rows = new int[claims.Count];
        var cols = new int[claims.Count];
        var ats = new DateTime[claims.Count];
        for (var i = 0; i < claims.Count; i++)
        {
            var e = claims[i];
            (games[i], seqs[i], players[i], rows[i], cols[i], ats[i]) = (e.GameId, e.Seq, e.Player!, e.Row, e.Col, e.At.UtcDateTime);
        }
        await db.ExecuteSqlAsync(
            $"""
            INSERT INTO claims (game_id, seq, player_id, "row", "col", claimed_at)
            SELECT * FROM unnest({games}, {seqs}, {players}, {rows}, {cols}, {ats})
            ON CONFLICT (game_id, seq) DO NOTHING
            """,
            ct).ConfigureAwait(false);
    }

    private static async Task InsertClaimRowsAsync(DatabaseFacade db, List<GameEvent> claims, CancellationToken ct)
    {
        foreach (var chunk in claims.Chunk(200))
        {
            var sql = new StringBuilder("INSERT INTO claims (game_id, seq, player_id, \"row\", \"col\", claimed_at) VALUES ");
            var parameters = new object[chunk.Length * 6];
            for (var i = 0; i < chunk.Length; i++)
            {
                var e = chunk[i];
                var p = i * 6;
                sql.Append(i == 0 ? "" : ", ")
                    .Append(CultureInfo.InvariantCulture, $"({{{p}}}, {{{p + 1}}}, {{{p + 2}}}, {{{p + 3}}}, {{{p + 4}}}, {{{p + 5}}})");
                parameters[p] = e.GameId;
                parameters[p + 1] = e.Seq;
                parameters[p + 2] = e.Player!;
                parameters[p + 3] = e.Row;
                parameters[p + 4] = e.Col;
                parameters[p + 5] = e.At.ToUniversalTime();
            }
            sql.Append(" ON CONFLICT (game_id, seq) DO NOTHING");
            await db.ExecuteSqlRawAsync(sql.ToString(), parameters, ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync(DatabaseFacade db, GameEvent e, CancellationToken ct)
    {
        var at = e.At.ToUniversalTime();
        switch (e.Type)
        {
            case GameEventType.Opened:
                var settings = e.Data is null ? new GameSettings() : JsonSerializer.Deserialize<GameSettings>(e.Data) ?? new GameSettings();
                await db.ExecuteSqlAsync(
                    $"""INSERT INTO games (id, board_size, settings, opened_at) VALUES ({e.GameId}, {settings.BoardSize}, {e.Data}, {at}) ON CONFLICT (id) DO NOTHING""",
                    ct).ConfigureAwait(false);
                break;
            case GameEventType.Joined:
                // A rejoin clears the leave before it; a join written again (a lost game's copy) leaves a later leave alone.
                await db.ExecuteSqlAsync(
                    $"""INSERT INTO players (game_id, player_id, joined_at) VALUES ({e.GameId}, {e.Player}, {at}) ON CONFLICT (game_id, player_id) DO UPDATE SET left_at = NULL WHERE players.left_at <= excluded.joined_at""",
                    ct).ConfigureAwait(false);
                break;
            case GameEventType.Left:
                await db.ExecuteSqlAsync($"""UPDATE players SET left_at = {at} WHERE game_id = {e.GameId} AND player_id = {e.Player}""", ct).ConfigureAwait(false);
                break;
            case GameEventType.Started:
                await db.ExecuteSqlAsync($"""UPDATE games SET started_at = {at} WHERE id = {e.GameId}""", ct).ConfigureAwait(false);
                break;
            case GameEventType.Claimed:
                await db.ExecuteSqlAsync(
                    $"""INSERT INTO claims (game_id, seq, player_id, "row", "col", claimed_at) VALUES ({e.GameId}, {e.Seq}, {e.Player}, {e.Row}, {e.Col}, {at}) ON CONFLICT (game_id, seq) DO NOTHING""",
                    ct).ConfigureAwait(false);
                break;
            case GameEventType.Finished:
                var result = e.Data is null ? null : JsonSerializer.Deserialize<LiveGame.FinishedData>(e.Data);
                await db.ExecuteSqlAsync(
                    $"""UPDATE games SET finished_at = {at}, finish_reason = {result?.Reason} WHERE id = {e.GameId}""", ct).ConfigureAwait(false);
                foreach (var player in result?.Players ?? [])
                {
                    var winner = result!.Winners.Contains(player.Id);
                    await db.ExecuteSqlAsync(
                        $"""INSERT INTO results (game_id, player_id, score, winner) VALUES ({e.GameId}, {player.Id}, {player.Score}, {winner}) ON CONFLICT (game_id, player_id) DO UPDATE SET score = excluded.score, winner = excluded.winner""",
                        ct).ConfigureAwait(false);
                }
                break;
            default:
                throw new InvalidOperationException($"unknown game event type {e.Type}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.HistorySchemaReady, Level = LogLevel.Information, Message = "History schema is up to date ({Provider})")]
        public static partial void SchemaReady(ILogger logger, string? provider);
    }
}
