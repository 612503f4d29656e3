namespace Caseline.Server.Http;

/// <summary>
/// Every API response may hold client data (a profile, a feed page, an audit record, even a refusal naming a
/// client), so none is kept by a browser's or a proxy's cache: <c>Cache-Control: no-store</c> on all of them,
/// errors included, set as the response starts so that no handler or error page can leave it out.
/// </summary>
internal static class NoStore
{
    public const string ApiRoot = "/api";

    public static IApplicationBuilder UseNoStoreForApi(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(ApiRoot, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.OnStarting(static state =>
            {
                ((HttpResponse)state).Headers.CacheControl = "no-store";
                return Task.CompletedTask;
            }, context.Response);
        }

        return next(context);
    });
}
