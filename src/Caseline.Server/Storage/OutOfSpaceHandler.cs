using Microsoft.AspNetCore.Diagnostics;

namespace Caseline.Server.Storage;

/// <summary>
/// A write that found the disk full was rolled back whole and acknowledged nothing: it is answered 503 with
/// <c>Retry-After</c>, as a problem document, and the next write tries again, so the server recovers by
/// itself once there is room.
/// </summary>
internal sealed partial class OutOfSpaceHandler(Database database, IProblemDetailsService problems, ILogger<OutOfSpaceHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!Causes(exception).Any(database.IsOutOfSpace))
        {
            return false;
        }

        LogOutOfSpace(httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "30";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The server is out of disk space.",
                Detail = "Nothing of this request was stored. Try again later.",
            },
        });
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Critical, Message = "The disk is full: a {Method} to {Endpoint} was refused with 503 and nothing of it was stored; writes go on once there is room")]
    private partial void LogOutOfSpace(string method, string? endpoint);
}
