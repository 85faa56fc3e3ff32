namespace GridGame.Crds;

/// <summary>
/// The numeric bounds of the API, in one place: the schema attributes on the resource types, the semantic
/// validators and (through the generated schema) the API reference all read these.
/// </summary>
public static class ApiBounds
{
    public const int BoardSizeMin = 3;
    public const int BoardSizeMax = 64;
    public const int PlayersMin = 1;
    public const int PlayersMax = 100;
    public const int DurationSecondsMin = 10;
    public const int DurationSecondsMax = 86400;
    public const int ClaimCooldownMsMin = 0;
    public const int ClaimCooldownMsMax = 60000;
    public const int PortMin = 1;
    public const int PortMax = 65535;
    public const int PortsMax = 8;
    public const int PortNameMaxLength = 15;
    public const int StabilizationWindowSecondsMax = 3600;
    public const int PercentMin = 1;
    public const int PercentMax = 100;
    public const int AllocationTimeoutSecondsMin = 1;
    public const int AllocationTimeoutSecondsMax = 3600;
    public const int PlayerIdMaxLength = 128;
}
