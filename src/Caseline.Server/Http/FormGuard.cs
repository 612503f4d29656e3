using System.Text.Json;
using Caseline.Server.Web;
using Microsoft.AspNetCore.Http.Features;

namespace Caseline.Server.Http;

/// <summary>
/// Reads every posted form once, before anything else does, and refuses the ones that cannot be read: a NUL
/// character, too many fields, a field name too long, a body over the size limit, a multipart body. Every form
/// reader (the token endpoint, the token validation that looks for an access token in a form, antiforgery, page
/// binding) then gets the form already read, instead of throwing into a 500 with a stack trace in the log.
/// </summary>
internal static partial class FormGuard
{
    public static IApplicationBuilder UseFormGuard(this IApplicationBuilder app) => app.Use(GuardAsync);

    private static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!request.HasFormContentType)
        {
            await next(context);
            return;
        }

        int status;
        string refusal;
        // Nothing here takes files, and a multipart form's files would be buffered to disk outside the data folder.
        if (request.ContentType!.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            (status, refusal) = (StatusCodes.Status415UnsupportedMediaType, "Forms are taken URL-encoded (application/x-www-form-urlencoded) only.");
        }
        else
        {
            try
            {
                await request.ReadFormAsync(context.RequestAborted);
                await next(context);
                return;
            }
            catch (InvalidDataException)
            {
                (status, refusal) = (StatusCodes.Status400BadRequest, "The form cannot be read: it holds a NUL character, too many fields or a field name too long.");
            }
            catch (BadHttpRequestException e)
            {
                (status, refusal) = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? (StatusCodes.Status413PayloadTooLarge, "The form is larger than the server takes.")
                    : (StatusCodes.Status400BadRequest, "The form's body cannot be read.");
            }
        }

        // Whatever reads the form after this (the UI's status page, on re-execution) finds it empty, not the same failure.
        context.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FormGuard)).FormRefused(status, context.GetEndpoint()?.DisplayName ?? "no endpoint");
        await RefuseAsync(context, status, refusal);
    }

    private static async Task RefuseAsync(HttpContext context, int status, string refusal)
    {
        var response = context.Response;
        if (context.Request.Path.StartsWithSegments("/identity", StringComparison.OrdinalIgnoreCase))
        {
            // The OAuth endpoints answer every malformed request as RFC 6749 says: 400, invalid_request, never stored.
            response.StatusCode = StatusCodes.Status400BadRequest;
            response.ContentType = "application/json;charset=UTF-8";
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            await using var json = new Utf8JsonWriter(response.Body);
            json.WriteStartObject();
            json.WriteString("error", OpenIddict.Abstractions.OpenIddictConstants.Errors.InvalidRequest);
            json.WriteString("error_description", refusal);
            json.WriteEndObject();
            await json.FlushAsync(context.RequestAborted);
        }
        else if (context.Request.Path.StartsWithSegments(WebUi.Root, StringComparison.OrdinalIgnoreCase))
        {
            // The UI's own status page says the form could not be accepted (its status-code pages render it).
            response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            await TypedResults.Problem(statusCode: status, title: refusal).ExecuteAsync(context);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Refused a form that cannot be read ({Status}) posted to {Endpoint}")]
    private static partial void FormRefused(this ILogger logger, int status, string endpoint);
}
