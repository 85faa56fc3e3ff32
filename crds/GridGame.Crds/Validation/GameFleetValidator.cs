using System.Globalization;
using k8s.Models;

namespace GridGame.Crds.Validation;

/// <summary>
/// Semantic validation of a GameFleet: the schema's bounds plus the cross-field rules (min &lt;= max, port policies,
/// unique ports, a runnable template). The operator reports the result as the fleet's <c>Invalid</c> condition.
/// Absent fields count as their defaults.
/// </summary>
public static class GameFleetValidator
{
    /// <summary>Label keys on the pod template the operator owns; a template must not set them.</summary>
    private static readonly string[] s_reservedLabels = [WellKnown.FleetLabel, WellKnown.RevisionLabel, WellKnown.StateLabel];

    /// <summary>Every problem with <paramref name="fleet"/>; empty when it is valid.</summary>
    public static IReadOnlyList<FieldError> Validate(GameFleet fleet)
    {
        var errors = new FieldErrorList();
        var name = fleet.Metadata?.Name;
        if (name is { Length: > 63 })
        {
            errors.Add("metadata.name", string.Create(CultureInfo.InvariantCulture, $"must be at most 63 characters, as it is a label value (got {name.Length})"));
        }

        var spec = fleet.Spec;
        if (spec is null)
        {
            errors.Add("spec", "is required");
            return errors.Errors;
        }

        errors.AtLeast("spec.replicas", spec.Replicas, 0);
        ValidateGame(errors, spec.Game);
        ValidatePorts(errors, spec.Ports);
        ValidateAutoscaling(errors, spec.Autoscaling);
        ValidateStrategy(errors, spec.Strategy);
        if (spec.Health is { } health)
        {
            errors.AtLeast("spec.health.unhealthyAfterSeconds", health.UnhealthyAfterSeconds, 1);
            errors.AtLeast("spec.health.maxRestarts", health.MaxRestarts, 0);
        }

        if (spec.Deletion is { } deletion)
        {
            errors.AtLeast("spec.deletion.drainTimeoutSeconds", deletion.DrainTimeoutSeconds, 0);
        }

        ValidateTemplate(errors, spec.Template);
        return errors.Errors;
    }

    private static void ValidateGame(FieldErrorList errors, GameSettings? game)
    {
        if (game is null)
        {
            return;
        }

        errors.Range("spec.game.boardSize", game.BoardSize, ApiBounds.BoardSizeMin, ApiBounds.BoardSizeMax);
        errors.Range("spec.game.maxPlayers", game.MaxPlayers, ApiBounds.PlayersMin, ApiBounds.PlayersMax);
        errors.Range("spec.game.minPlayers", game.MinPlayers, ApiBounds.PlayersMin, ApiBounds.PlayersMax);
        errors.Range("spec.game.durationSeconds", game.DurationSeconds, ApiBounds.DurationSecondsMin, ApiBounds.DurationSecondsMax);
        errors.Range("spec.game.claimCooldownMs", game.ClaimCooldownMs, ApiBounds.ClaimCooldownMsMin, ApiBounds.ClaimCooldownMsMax);
        var min = game.MinPlayers ?? GameFleetDefaults.MinPlayers;
        var max = game.MaxPlayers ?? GameFleetDefaults.MaxPlayers;
        if (min > max)
        {
            errors.Add("spec.game.minPlayers", string.Create(CultureInfo.InvariantCulture, $"must be <= maxPlayers ({min} > {max})"));
        }
    }

    private static void ValidatePorts(FieldErrorList errors, IList<GamePort>? ports)
    {
        if (ports is null)
        {
            return;
        }

        if (ports.Count == 0)
        {
            errors.Add("spec.ports", "must list at least one port (omit it for the default game port 7777)");
            return;
        }

        if (ports.Count > ApiBounds.PortsMax)
        {
            errors.Add("spec.ports", string.Create(CultureInfo.InvariantCulture, $"must list at most {ApiBounds.PortsMax} ports (got {ports.Count})"));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var containerPorts = new HashSet<int>();
        var hostPorts = new HashSet<int>();
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var path = string.Create(CultureInfo.InvariantCulture, $"spec.ports[{i}]");
            if (port is null)
            {
                errors.Add(path, "must not be null");
                continue;
            }

            if (string.IsNullOrEmpty(port.Name))
            {
                errors.Add(path + ".name", "is required");
            }
            else
            {
                if (port.Name.Length > ApiBounds.PortNameMaxLength)
                {
                    errors.Add(path + ".name", string.Create(CultureInfo.InvariantCulture, $"must be at most {ApiBounds.PortNameMaxLength} characters (got {EchoedValue.Quote(port.Name)})"));
                }

                errors.Pattern(path + ".name", port.Name, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "lower-case letters, digits and '-', starting and ending with a letter or digit");
                if (!names.Add(port.Name))
                {
                    errors.Add(path + ".name", $"must be unique: {EchoedValue.Quote(port.Name)} is used by an earlier port");
                }
            }

            if (port.ContainerPort is null)
            {
                errors.Add(path + ".containerPort", "is required");
            }
            else
            {
                errors.Range(path + ".containerPort", port.ContainerPort, ApiBounds.PortMin, ApiBounds.PortMax);
                if (!containerPorts.Add(port.ContainerPort.Value))
                {
                    errors.Add(path + ".containerPort", string.Create(CultureInfo.InvariantCulture, $"must be unique: {port.ContainerPort} is used by an earlier port"));
                }
            }

            errors.Range(path + ".hostPort", port.HostPort, ApiBounds.PortMin, ApiBounds.PortMax);
            var policy = port.Policy ?? GameFleetDefaults.Policy;
            if (policy == PortPolicy.Static && port.HostPort is null)
            {
                errors.Add(path + ".hostPort", "is required when policy is Static");
            }
            else if (policy != PortPolicy.Static && port.HostPort is not null)
            {
                errors.Add(path + ".hostPort", $"must not be set when policy is {policy} (only Static ports take a hostPort)");
            }

            if (policy == PortPolicy.Static && port.HostPort is { } hostPort && !hostPorts.Add(hostPort))
            {
                errors.Add(path + ".hostPort", string.Create(CultureInfo.InvariantCulture, $"must be unique: {hostPort} is used by an earlier port"));
            }
        }
    }

    private static void ValidateAutoscaling(FieldErrorList errors, FleetAutoscaling? autoscaling)
    {
        if (autoscaling is null)
        {
            return;
        }

        errors.AtLeast("spec.autoscaling.minReplicas", autoscaling.MinReplicas, 0);
        if (autoscaling.MaxReplicas is null)
        {
            errors.Add("spec.autoscaling.maxReplicas", "is required");
        }
        else
        {
            errors.AtLeast("spec.autoscaling.maxReplicas", autoscaling.MaxReplicas, 1);
            var min = autoscaling.MinReplicas ?? GameFleetDefaults.MinReplicas;
            if (min > autoscaling.MaxReplicas)
            {
                errors.Add("spec.autoscaling.minReplicas", string.Create(CultureInfo.InvariantCulture, $"must be <= maxReplicas ({min} > {autoscaling.MaxReplicas})"));
            }
        }

        if (autoscaling.Buffer?.Size is { } size && !BufferSize.TryParse(size, out _))
        {
            errors.Add("spec.autoscaling.buffer.size", $"must be a non-negative count (5) or a percent from 0% to 100% (\"20%\") (got {BufferSize.Describe(size)})");
        }

        if (autoscaling.ScaleDown is { } scaleDown)
        {
            errors.Range("spec.autoscaling.scaleDown.stabilizationWindowSeconds", scaleDown.StabilizationWindowSeconds, 0, ApiBounds.StabilizationWindowSecondsMax);
            errors.Range("spec.autoscaling.scaleDown.maxPercentPerMinute", scaleDown.MaxPercentPerMinute, ApiBounds.PercentMin, ApiBounds.PercentMax);
        }
    }

    private static void ValidateStrategy(FieldErrorList errors, FleetStrategy? strategy)
    {
        if (strategy?.BlueGreen is { } blueGreen)
        {
            errors.Range("spec.strategy.blueGreen.readyPercent", blueGreen.ReadyPercent, ApiBounds.PercentMin, ApiBounds.PercentMax);
            errors.AtLeast("spec.strategy.blueGreen.progressDeadlineSeconds", blueGreen.ProgressDeadlineSeconds, 1);
        }
    }

    private static void ValidateTemplate(FieldErrorList errors, V1PodTemplateSpec? template)
    {
        var containers = template?.Spec?.Containers;
        if (containers is null || containers.Count == 0)
        {
            errors.Add("spec.template.spec.containers", "must have at least one container");
        }
        else
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < containers.Count; i++)
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"spec.template.spec.containers[{i}]");
                var container = containers[i];
                if (string.IsNullOrEmpty(container?.Name))
                {
                    errors.Add(path + ".name", "is required");
                }
                else if (!names.Add(container.Name))
                {
                    errors.Add(path + ".name", $"must be unique: {EchoedValue.Quote(container.Name)} is used by an earlier container");
                }

                if (string.IsNullOrEmpty(container?.Image))
                {
                    errors.Add(path + ".image", "is required");
                }
            }
        }

        if (template?.Metadata?.Labels is { } labels)
        {
            foreach (var key in s_reservedLabels.Where(labels.ContainsKey))
            {
                errors.Add($"spec.template.metadata.labels[{key}]", "is set by the operator and must not be given in the template");
            }
        }
    }
}
