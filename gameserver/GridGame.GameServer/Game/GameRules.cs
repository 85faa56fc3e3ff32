namespace GridGame.GameServer.Game;

/// <summary>
/// The rules of one grid game: a pure state machine with no I/O and no clock of its own. Each command is
/// split into a check (which refuses or allows, changing nothing) and an apply, so that the caller can make the
/// change durable in a store between the two.
/// </summary>
internal sealed class GameRules
{
    private readonly string?[] _cells;
    private readonly Dictionary<string, PlayerRecord> _players = new(StringComparer.Ordinal);
    private readonly List<string> _joinOrder = [];
    private readonly HashSet<string> _allowed;
    private int _freeCells;

    public GameRules(string id, GameSettings settings, IEnumerable<string>? allowedPlayers, DateTimeOffset createdAt)
    {
        if (settings.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(settings));
        }
        Id = id;
        Settings = settings;
        CreatedAt = createdAt;
        _allowed = new HashSet<string>(allowedPlayers ?? [], StringComparer.Ordinal);
        _cells = new string?[settings.BoardSize * settings.BoardSize];
        _freeCells = _cells.Length;
    }

    public string Id { get; }

    public GameSettings Settings { get; }

    public GamePhase Phase { get; private set; }

    public FinishReason FinishReason { get; private set; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>When play ends by time; null before the game starts.</summary>
    public DateTimeOffset? EndsAt => StartedAt?.AddSeconds(Settings.DurationSeconds);

    /// <summary>The sequence number of the last event applied (claims and membership changes alike).</summary>
    public long Seq { get; private set; }

    public IReadOnlyCollection<string> AllowedPlayers => _allowed;

    public IReadOnlyList<string?> Cells => _cells;

    public int FreeCells => _freeCells;

    /// <summary>Players in the order they first joined.</summary>
    public IEnumerable<PlayerRecord> Players => _joinOrder.Select(id => _players[id]);

    public int ConnectedPlayers => _players.Values.Count(p => p.Connected);

    public bool IsListed(string player) => _allowed.Count == 0 || _allowed.Contains(player);

    public bool HasJoined(string player) => _players.ContainsKey(player);

    public PlayerRecord? Player(string player) => _players.GetValueOrDefault(player);

    public string? Owner(int row, int col) => _cells[(row * Settings.BoardSize) + col];

    /// <summary>
    /// The players with the highest score, once that score is above zero; ties share the win. A game whose state was
    /// lost has no winner: it was not played out.
    /// </summary>
    public IReadOnlyList<string> Winners()
    {
        if (FinishReason == FinishReason.StateLost)
        {
            return [];
        }
        var best = _players.Count == 0 ? 0 : _players.Values.Max(p => p.Score);
        return best == 0 ? [] : Players.Where(p => p.Score == best).Select(p => p.Id).ToList();
    }

    public Refusal CheckJoin(string player)
    {
        if (Phase == GamePhase.Finished)
        {
            return Refusal.GameOver;
        }
        if (!IsListed(player))
        {
            return Refusal.NotListed;
        }
        return !_players.ContainsKey(player) && _players.Count >= Settings.MaxPlayers ? Refusal.GameFull : Refusal.None;
    }

    /// <summary>Marks the player connected (joining for the first time or back); reports whether this starts play.</summary>
    public JoinOutcome ApplyJoin(string player, DateTimeOffset now)
    {
        var first = !_players.TryGetValue(player, out var existing);
        if (first)
        {
            _joinOrder.Add(player);
        }
        _players[player] = (existing ?? new PlayerRecord(player, 0, false, null)) with { Connected = true };
        Seq++;
        var starts = Phase == GamePhase.Waiting && ConnectedPlayers >= Settings.MinPlayers;
        if (starts)
        {
            Phase = GamePhase.Playing;
            StartedAt = now;
            Seq++;
        }
        return new JoinOutcome(first, starts);
    }

    public Refusal CheckClaim(string player, int row, int col, DateTimeOffset now) => CheckClaim(player, row, col, now, null);

    /// <summary>
    /// Checks claims made together (a group commit), in order, each as if the allowed ones before it had been
    /// applied: an earlier claim of the group takes its cell, starts its player's cooldown and may fill the board.
    /// Changes nothing; applying the allowed claims in order with <see cref="ApplyClaim"/> then succeeds, and so does
    /// applying any ordered subset of them.
    /// </summary>
    public Refusal[] CheckClaims(IReadOnlyList<ClaimRequest> claims, DateTimeOffset now)
    {
        var refusals = new Refusal[claims.Count];
        var group = new GroupedClaims(_freeCells);
        for (var i = 0; i < claims.Count; i++)
        {
            var claim = claims[i];
            refusals[i] = CheckClaim(claim.Player, claim.Row, claim.Col, now, group);
            // The last claim changes nothing a later one is checked against (most batches are one claim).
            if (refusals[i] == Refusal.None && i < claims.Count - 1)
            {
                group.Add((claim.Row * Settings.BoardSize) + claim.Col, claim.Player, now);
            }
        }
        return refusals;
    }

    private Refusal CheckClaim(string player, int row, int col, DateTimeOffset now, GroupedClaims? group)
    {
        if (!_players.TryGetValue(player, out var record))
        {
            return Refusal.NotJoined;
        }
        if (Phase == GamePhase.Finished || (EndsAt is { } end && now >= end) || group?.FreeCells == 0)
        {
            return Refusal.GameOver;
        }
        if (Phase == GamePhase.Waiting)
        {
            return Refusal.NotStarted;
        }
        if (row < 0 || col < 0 || row >= Settings.BoardSize || col >= Settings.BoardSize)
        {
            return Refusal.OutOfBounds;
        }
        var cell = (row * Settings.BoardSize) + col;
        if (_cells[cell] is not null || (group?.Takes(cell) ?? false))
        {
            return Refusal.CellTaken;
        }
        var lastClaim = group?.LastClaimOf(player) ?? record.LastClaimAt;
        return lastClaim is { } last && now < last.AddMilliseconds(Settings.ClaimCooldownMs) ? Refusal.TooFast : Refusal.None;
    }

    /// <summary>What the allowed claims of a group so far would change: the cells they take and their players' last claim.</summary>
    /// <remarks>Its sets are made at the first claim added: a group of one claim, the common case, needs neither.</remarks>
    private sealed class GroupedClaims(int freeCells)
    {
        private HashSet<int>? _cells;
        private Dictionary<string, DateTimeOffset>? _lastClaims;

        public int FreeCells => freeCells - (_cells?.Count ?? 0);

        public bool Takes(int cell) => _cells?.Contains(cell) ?? false;

        public DateTimeOffset? LastClaimOf(string player) => _lastClaims is not null && _lastClaims.TryGetValue(player, out var at) ? at : null;

        public void Add(int cell, string player, DateTimeOffset now)
        {
            (_cells ??= []).Add(cell);
            (_lastClaims ??= new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal))[player] = now;
        }
    }

    /// <summary>Applies a claim that <see cref="CheckClaim"/> allowed; a full board finishes the game.</summary>
    public ClaimOutcome ApplyClaim(string player, int row, int col, DateTimeOffset now)
    {
        if (CheckClaim(player, row, col, now) is var refusal and not Refusal.None)
        {
            throw new InvalidOperationException($"claim not allowed: {refusal}");
        }
        _cells[(row * Settings.BoardSize) + col] = player;
        _freeCells--;
        var score = _players[player].Score + 1;
        _players[player] = _players[player] with { Score = score, LastClaimAt = now };
        Seq++;
        var finished = _freeCells == 0;
        if (finished)
        {
            Finish(FinishReason.BoardFull, now);
        }
        return new ClaimOutcome(score, finished);
    }

    /// <summary>Marks the player gone; the last connected player leaving a game in play ends it.</summary>
    public LeaveOutcome ApplyLeave(string player, DateTimeOffset now)
    {
        if (!_players.TryGetValue(player, out var record) || !record.Connected)
        {
            return new LeaveOutcome(false, false);
        }
        _players[player] = record with { Connected = false };
        Seq++;
        var ends = Phase == GamePhase.Playing && ConnectedPlayers == 0;
        if (ends)
        {
            Finish(FinishReason.AllLeft, now);
        }
        return new LeaveOutcome(true, ends);
    }

    /// <summary>Why the game should end at <paramref name="now"/> without any command, or None.</summary>
    public FinishReason DueFinish(DateTimeOffset now) =>
        Phase == GamePhase.Playing && EndsAt is { } end && now >= end ? FinishReason.TimeUp : FinishReason.None;

    public void Finish(FinishReason reason, DateTimeOffset now)
    {
        if (Phase == GamePhase.Finished)
        {
            return;
        }
        Phase = GamePhase.Finished;
        FinishReason = reason;
        FinishedAt = now;
        Seq++;
    }

    /// <summary>
    /// The store lost the game's state: the game ends now, as <see cref="FinishReason.StateLost"/>, whatever phase it
    /// reached (a finish the store could not take included: that finish never happened as far as anyone can tell).
    /// </summary>
    public void Lose(DateTimeOffset now)
    {
        if (Phase != GamePhase.Finished)
        {
            Seq++;
        }
        Phase = GamePhase.Finished;
        FinishReason = FinishReason.StateLost;
        FinishedAt = now;
    }

    public GameState ToState() => new(
        Id, Settings, [.. _allowed], Phase, FinishReason, CreatedAt, StartedAt, FinishedAt, [.. _cells], [.. Players], Seq);

    /// <summary>Rebuilds a game from stored state, as after a server restart.</summary>
    public static GameRules FromState(GameState state)
    {
        var rules = new GameRules(state.Id, state.Settings, state.AllowedPlayers, state.CreatedAt);
        rules.RestoreFrom(state);
        return rules;
    }

    /// <summary>Puts this game back to an earlier state of itself (when a change could not be stored).</summary>
    public void RestoreFrom(GameState state)
    {
        Phase = state.Phase;
        FinishReason = state.FinishReason;
        StartedAt = state.StartedAt;
        FinishedAt = state.FinishedAt;
        Seq = state.Seq;
        for (var i = 0; i < _cells.Length; i++)
        {
            _cells[i] = i < state.Cells.Count ? state.Cells[i] : null;
        }
        _freeCells = _cells.Count(c => c is null);
        _players.Clear();
        _joinOrder.Clear();
        foreach (var player in state.Players)
        {
            _players[player.Id] = player;
            _joinOrder.Add(player.Id);
        }
    }
}

internal readonly record struct JoinOutcome(bool FirstJoin, bool Started);

internal readonly record struct ClaimOutcome(int Score, bool Finished);

/// <summary>A player's claim of the cell at <paramref name="Row"/>, <paramref name="Col"/>.</summary>
internal readonly record struct ClaimRequest(string Player, int Row, int Col);

internal readonly record struct LeaveOutcome(bool Left, bool Finished);
