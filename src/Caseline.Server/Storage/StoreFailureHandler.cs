using Microsoft.AspNetCore.Diagnostics;

namespace Caseline.Server.Storage;

/// <summary>
/// A write that found the disk full, or a request that found the database unreachable (a PostgreSQL server
/// restarting, a lost connection), acknowledged nothing: it is answered 503 with <c>Retry-After</c>, as a problem
/// document, and the next request tries again, so the server recovers by itself once the store is back.
/// </summary>
internal sealed partial class StoreFailureHandler(Database database, IProblemDetailsService problems, ILogger<StoreFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        string title;
        string retryAfter;
        if (Causes(exception).Any(database.IsOutOfSpace))
        {
            LogOutOfSpace(httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName);
            (title, retryAfter) = ("The server is out of disk space.", "30");
        }
        else if (Causes(exception).Any(database.IsUnavailable))
        {
            LogUnavailable(httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName);
            (title, retryAfter) = ("The database is not reachable.", "5");
        }
        else
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = retryAfter;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = title,
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

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "The database is not reachable: a {Method} to {Endpoint} was refused with 503 and nothing of it was stored")]
    private partial void LogUnavailable(string method, string? endpoint);
}
