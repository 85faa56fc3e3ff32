using System.Net;
using k8s.Autorest;

namespace GridGame.Operator.Runtime;

/// <summary>The API answers a controller treats as outcomes rather than failures.</summary>
internal static class ApiErrors
{
    public static bool IsConflict(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity };

    public static bool IsNotFound(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    /// <summary>A JSON Patch `test` that failed, or a stale resourceVersion / delete precondition: someone else got there first.</summary>
    public static bool IsLostRace(Exception e) => IsConflict(e) || IsNotFound(e);
}
