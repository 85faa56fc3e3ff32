using System.Text.Json.Nodes;

namespace GridGame.LocalCluster;

/// <summary>A refusal the API server answers with a <c>Status</c> object, exactly as kube-apiserver words it.</summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }
        status["code"] = code;
        return status;
    }

    private static JsonObject NameDetails(string name, string group, string kind)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }
        details["kind"] = kind;
        return details;
    }

    /// <summary>"pods" or "gamefleets.gridgame.io": how the API server names a resource in messages.</summary>
    public static string Qualified(string plural, string group) => group.Length == 0 ? plural : plural + "." + group;

    public static ApiException NotFound(string plural, string group, string name) =>
        new(404, "NotFound", $"{Qualified(plural, group)} \"{name}\" not found", NameDetails(name, group, plural));

    public static ApiException AlreadyExists(string plural, string group, string name) =>
        new(409, "AlreadyExists", $"{Qualified(plural, group)} \"{name}\" already exists", NameDetails(name, group, plural));

    public static ApiException Conflict(string plural, string group, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(plural, group)} \"{name}\": {why}", NameDetails(name, group, plural));

    public static ApiException StaleConflict(string plural, string group, string name) =>
        Conflict(plural, group, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static ApiException Forbidden(string plural, string group, string name, string message) =>
        new(403, "Forbidden", $"{Qualified(plural, group)} \"{name}\" is forbidden: {message}", NameDetails(name, group, plural));

    public static ApiException Internal(string message) =>
        new(500, "InternalError", "Internal error occurred: " + message, new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException ResourceNotFound() => new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    /// <summary>422 Invalid with one cause per field, worded <c>Kind.group "name" is invalid: field: message</c>.</summary>
    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["field"] = e.Field });
        }
        var lines = errors.Select(e => e.Field.Length > 0 ? $"{e.Field}: {e.Message}" : e.Message).ToList();
        var summary = lines.Count == 1 ? lines[0] : "[" + string.Join(", ", lines) + "]";
        var qualifiedKind = group.Length == 0 ? kind : kind + "." + group;
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }
        details["kind"] = kind;
        details["causes"] = causes;
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", details);
    }
}

/// <summary>One field-level cause of a 422 Invalid.</summary>
internal sealed record FieldError(string Field, string Reason, string Message)
{
    public static FieldError Required(string field, string detail) => new(field, "FieldValueRequired", "Required value: " + detail);

    public static FieldError Invalid(string field, string value, string detail) => new(field, "FieldValueInvalid", $"Invalid value: {value}: {detail}");

    public static FieldError Forbidden(string field, string detail) => new(field, "FieldValueForbidden", "Forbidden: " + detail);

    public static FieldError Immutable(string field, string value) => Invalid(field, value, "field is immutable");
}
