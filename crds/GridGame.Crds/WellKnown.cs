namespace GridGame.Crds;

/// <summary>The API group and version every GridGame resource lives in.</summary>
public static class GridGameApi
{
    public const string Group = "gridgame.io";
    public const string Version = "v1";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>The category both resources belong to: <c>kubectl get gridgame</c>.</summary>
    public const string Category = "gridgame";

    /// <summary>apiVersion/kind to type, for <c>KubernetesYaml.LoadAllFromString(text, GridGameApi.TypeMap)</c>.</summary>
    public static IDictionary<string, Type> TypeMap => new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [ApiVersion + "/" + GameFleet.KubeKind] = typeof(GameFleet),
        [ApiVersion + "/" + GameFleet.KubeListKind] = typeof(GameFleetList),
        [ApiVersion + "/" + GameSession.KubeKind] = typeof(GameSession),
        [ApiVersion + "/" + GameSession.KubeListKind] = typeof(GameSessionList),
    };
}

/// <summary>Labels, annotations, finalizers, condition types and reasons shared by the operator and the game server (docs/reference/api.md).</summary>
public static class WellKnown
{
    /// <summary>Pod label: the owning fleet's name.</summary>
    public const string FleetLabel = "gridgame.io/fleet";

    /// <summary>Pod label: the hash of the fleet spec that shaped the pod.</summary>
    public const string RevisionLabel = "gridgame.io/revision";

    /// <summary>Pod label: <see cref="States"/>.</summary>
    public const string StateLabel = "gridgame.io/state";

    /// <summary>Pod annotation: the name of the GameSession the pod serves.</summary>
    public const string SessionAnnotation = "gridgame.io/session";

    /// <summary>GameSession label: the pod name the session is bound to.</summary>
    public const string ServerLabel = "gridgame.io/server";

    /// <summary>GameFleet annotation: <c>gridgame.io/promote=&lt;revision&gt;</c> promotes a green revision when autoPromote is off.</summary>
    public const string PromoteAnnotation = "gridgame.io/promote";

    /// <summary>GameSession finalizer: the session's server is released before the session goes.</summary>
    public const string ReleaseFinalizer = "gridgame.io/release";

    /// <summary>GameFleet finalizer (deletion.policy Drain): the fleet stays until its Allocated servers finish.</summary>
    public const string DrainFinalizer = "gridgame.io/drain";

    /// <summary>Values of <see cref="StateLabel"/>.</summary>
    public static class States
    {
        public const string Ready = "Ready";
        public const string Allocated = "Allocated";
        public const string Draining = "Draining";
    }

    /// <summary>Condition types of a GameFleet.</summary>
    public static class FleetConditions
    {
        public const string Ready = "Ready";
        public const string Progressing = "Progressing";
        public const string ScalingLimited = "ScalingLimited";
        public const string RolloutFailed = "RolloutFailed";
        public const string Invalid = "Invalid";

        /// <summary>The game server's store lost the game's state (written by the game server, not the operator).</summary>
        public const string StateLost = "StateLost";
    }

    /// <summary>Condition reasons of a GameFleet.</summary>
    public static class FleetReasons
    {
        public const string AllReady = "AllReady";
        public const string NotAllReady = "NotAllReady";
        public const string RolloutStarted = "RolloutStarted";
        public const string AwaitingPromotion = "AwaitingPromotion";
        public const string Promoted = "Promoted";
        public const string RolloutComplete = "RolloutComplete";
        public const string ProgressDeadlineExceeded = "ProgressDeadlineExceeded";
        public const string CrashLooping = "CrashLooping";
        public const string AtMaxReplicas = "AtMaxReplicas";
        public const string AtMinReplicas = "AtMinReplicas";
        public const string WithinLimits = "WithinLimits";
        public const string Invalid = "Invalid";
        public const string Valid = "Valid";
    }

    /// <summary>Condition types of a GameSession.</summary>
    public static class SessionConditions
    {
        public const string Allocated = "Allocated";
        public const string Invalid = "Invalid";

        /// <summary>Whether the fleet named in spec.fleetName exists; False (reason FleetNotFound) while a Pending session waits for it.</summary>
        public const string FleetFound = "FleetFound";

        /// <summary>The game server's store lost the game's state (written by the game server, not the operator).</summary>
        public const string StateLost = "StateLost";
    }

    /// <summary>Reasons a GameSession fails (<c>status.reason</c>).</summary>
    public static class SessionReasons
    {
        public const string Unallocatable = "Unallocatable";
        public const string ServerLost = "ServerLost";
        public const string Timeout = "Timeout";
        public const string FleetNotFound = "FleetNotFound";
        public const string Invalid = "Invalid";

        /// <summary>The game server's store lost the game's state (written by the game server, not the operator).</summary>
        public const string StateLost = "StateLost";
    }
}
