using System.Globalization;
using k8s.Models;

namespace GridGame.Crds.Validation;

/// <summary>
/// Semantic validation of a GameSession: the schema's bounds, unique player ids, a well-formed selector, and,
/// when the fleet is known, game overrides bounded by the fleet's settings. A failing session becomes
/// <c>Failed</c> with reason <c>Invalid</c>.
/// </summary>
public static class GameSessionValidator
{
    private static readonly string[] s_selectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

    /// <summary>Every problem with <paramref name="session"/>; <paramref name="fleet"/> (if found) bounds the game overrides.</summary>
    public static IReadOnlyList<FieldError> Validate(GameSession session, GameFleet? fleet)
    {
        var errors = new FieldErrorList();
        var spec = session.Spec;
        if (spec is null)
        {
            errors.Add("spec", "is required");
            return errors.Errors;
        }

        if (string.IsNullOrEmpty(spec.FleetName))
        {
            errors.Add("spec.fleetName", "is required");
        }
        else
        {
            errors.Pattern("spec.fleetName", spec.FleetName, SessionLimits.DnsSubdomainPattern, "a fleet name (lower-case letters, digits, '-' and '.')");
        }

        errors.Range("spec.allocationTimeoutSeconds", spec.AllocationTimeoutSeconds, ApiBounds.AllocationTimeoutSecondsMin, ApiBounds.AllocationTimeoutSecondsMax);
        errors.AtLeast("spec.ttlSecondsAfterFinished", spec.TtlSecondsAfterFinished, 0);
        ValidateSelector(errors, spec.Selector);

        var effective = fleet is null ? null : GameSessionDefaults.EffectiveGame(session, fleet);
        ValidatePlayers(errors, spec.Players, effective?.MaxPlayers ?? ApiBounds.PlayersMax);
        ValidateGame(errors, spec.Game, fleet?.Spec?.Game, effective);
        return errors.Errors;
    }

    private static void ValidatePlayers(FieldErrorList errors, IList<string>? players, int maxPlayers)
    {
        if (players is null)
        {
            return;
        }

        if (players.Count > maxPlayers)
        {
            errors.Add("spec.players", string.Create(CultureInfo.InvariantCulture, $"must list at most maxPlayers ({maxPlayers}) players (got {players.Count})"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < players.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"spec.players[{i}]");
            var id = players[i];
            if (string.IsNullOrEmpty(id))
            {
                errors.Add(path, "must be a non-empty player id");
                continue;
            }

            if (id.Length > 128)
            {
                errors.Add(path, string.Create(CultureInfo.InvariantCulture, $"must be at most 128 characters (got {id.Length})"));
            }

            errors.Pattern(path, id, SessionLimits.PlayerIdPattern, "a player id (letters, digits and '._@-')");
            if (!seen.Add(id))
            {
                errors.Add(path, $"must be unique: {EchoedValue.Quote(id)} is listed twice");
            }
        }
    }

    private static void ValidateGame(FieldErrorList errors, GameOverrides? game, GameSettings? fleetGame, GameSettings? effective)
    {
        if (game is null)
        {
            return;
        }

        errors.Range("spec.game.boardSize", game.BoardSize, ApiBounds.BoardSizeMin, ApiBounds.BoardSizeMax);
        errors.Range("spec.game.maxPlayers", game.MaxPlayers, ApiBounds.PlayersMin, ApiBounds.PlayersMax);
        errors.Range("spec.game.minPlayers", game.MinPlayers, ApiBounds.PlayersMin, ApiBounds.PlayersMax);
        errors.Range("spec.game.durationSeconds", game.DurationSeconds, ApiBounds.DurationSecondsMin, ApiBounds.DurationSecondsMax);
        if (game.MinPlayers is { } min && game.MaxPlayers is { } max && min > max)
        {
            errors.Add("spec.game.minPlayers", string.Create(CultureInfo.InvariantCulture, $"must be <= maxPlayers ({min} > {max})"));
        }

        if (effective is null)
        {
            return;
        }

        Bounded(errors, "boardSize", game.BoardSize, fleetGame?.BoardSize ?? GameFleetDefaults.BoardSize);
        Bounded(errors, "maxPlayers", game.MaxPlayers, fleetGame?.MaxPlayers ?? GameFleetDefaults.MaxPlayers);
        Bounded(errors, "durationSeconds", game.DurationSeconds, fleetGame?.DurationSeconds ?? GameFleetDefaults.DurationSeconds);
        var bothGiven = game.MinPlayers is not null && game.MaxPlayers is not null;
        if (!bothGiven && effective.MinPlayers > effective.MaxPlayers)
        {
            var field = game.MinPlayers is not null ? "spec.game.minPlayers" : "spec.game.maxPlayers";
            errors.Add(field, string.Create(CultureInfo.InvariantCulture, $"leaves minPlayers ({effective.MinPlayers}) above maxPlayers ({effective.MaxPlayers}) with the fleet's settings"));
        }
    }

    private static void Bounded(FieldErrorList errors, string name, int? value, int fleetValue)
    {
        if (value > fleetValue)
        {
            errors.Add("spec.game." + name, string.Create(CultureInfo.InvariantCulture, $"must be <= the fleet's {name} ({fleetValue}) (got {value})"));
        }
    }

    private static void ValidateSelector(FieldErrorList errors, V1LabelSelector? selector)
    {
        if (selector?.MatchExpressions is not { } expressions)
        {
            return;
        }

        for (var i = 0; i < expressions.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"spec.selector.matchExpressions[{i}]");
            var expression = expressions[i];
            if (string.IsNullOrEmpty(expression?.Key))
            {
                errors.Add(path + ".key", "is required");
            }

            var op = expression?.OperatorProperty;
            if (op is null || !s_selectorOperators.Contains(op, StringComparer.Ordinal))
            {
                errors.Add(path + ".operator", $"must be one of In, NotIn, Exists, DoesNotExist (got {EchoedValue.Quote(op ?? "")})");
                continue;
            }

            var hasValues = expression!.Values is { Count: > 0 };
            if (op is "In" or "NotIn" && !hasValues)
            {
                errors.Add(path + ".values", $"must be non-empty when operator is {op}");
            }
            else if (op is "Exists" or "DoesNotExist" && hasValues)
            {
                errors.Add(path + ".values", $"must be empty when operator is {op}");
            }
        }
    }
}
