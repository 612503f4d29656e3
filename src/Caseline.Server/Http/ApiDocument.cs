using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Caseline.Server.Http;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and the API reference on it (<c>/scalar</c>): a title, an
/// introduction, and the token endpoint as an OAuth 2.0 security scheme (the password and client-credentials
/// flows, or a bearer token pasted in) required by every secured operation, so the reference can call the API.
/// </summary>
internal static class ApiDocument
{
    public const string OAuth2 = "OAuth2";
    public const string Bearer = "Bearer";

    /// <summary>Who may call the routes of each policy, as the operations' descriptions say it.</summary>
    private static readonly Dictionary<string, string> Who = new(StringComparer.Ordinal)
    {
        [Policies.Integration] = "an officer, an agency administrator or an API client of the agency",
        [Policies.WebhookManagement] = "an agency administrator or an API client of the agency",
        [Policies.AgencyAdministration] = "an agency administrator",
        [Policies.PlatformAdministration] = "the platform administrator",
    };

    private const string Introduction = """
        Caseline keeps an agency's client profiles and turns every change into a message of the original system's
        wire format, kept in an ordered log and sent to the agency by signed webhooks and a cursor feed.

        **Sync** (`/api/v1/clients`, `/api/v1/sync`) creates and changes profiles; **Transmit**
        (`/api/v1/transmit`) reads the log and manages webhook endpoints; `/api/v1/admin` is for administrators.
        The message schema is at `/schemas/client-profile-message.json`.

        **Tokens** come from `POST /identity/connect/token` (OAuth 2.0) with the scope `caseIntegrationApi`:
        the *password* grant for a person (the first-party client `caseline` needs no secret; an agency's API
        client sends its id and secret), or *client credentials* for an API client. Choose one under
        Authentication here, or paste a token as a bearer token. A token lasts an hour.

        Every error is a problem document (RFC 9457); a 429 carries `Retry-After`. Responses are `no-store`.
        """;

    public static IServiceCollection AddApiDocument(this IServiceCollection services) => services.AddOpenApi(openApi =>
    {
        openApi.AddDocumentTransformer((document, context, _) =>
        {
            document.Info.Title = "Caseline API";
            document.Info.Description = Introduction;
            var tokenUrl = TokenUrl(context.ApplicationServices);
            var scopes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [Policies.ApiScope] = "the Sync, Transmit and administration API (every route needs it)",
                ["openid"] = "OpenID Connect (optional)",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
            document.Components.SecuritySchemes[OAuth2] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "The token endpoint: the password grant (a person; client `caseline` without a secret, or an API client's id and secret) or client credentials (an API client).",
                Flows = new OpenApiOAuthFlows
                {
                    Password = new OpenApiOAuthFlow { TokenUrl = tokenUrl, Scopes = scopes },
                    ClientCredentials = new OpenApiOAuthFlow { TokenUrl = tokenUrl, Scopes = new Dictionary<string, string>(scopes, StringComparer.Ordinal) },
                },
            };
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An access token from the token endpoint, pasted in.",
            };
            return Task.CompletedTask;
        });
        openApi.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            if (policies.Count == 0 || metadata.OfType<IAllowAnonymous>().Any())
            {
                return Task.CompletedTask;
            }

            // Either scheme will do: the OAuth flows fetch a token with the scope, or a token is pasted in.
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OAuth2, context.Document)] = [Policies.ApiScope] });
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] });
            var who = string.Join("; ", policies.Select(p => Who.GetValueOrDefault(p, p)));
            operation.Description = (operation.Description is { Length: > 0 } description ? description + "\n\n" : "") + $"Needs a token of {who}.";
            return Task.CompletedTask;
        });
    });

    /// <summary><c>/openapi/v1.json</c>, and <c>/scalar</c> with the token endpoint's flows ready: the first-party client, the API scope.</summary>
    public static void MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(scalar => scalar
            .WithTitle("Caseline API")
            .AddPreferredSecuritySchemes([OAuth2])
            .AddPasswordFlow(OAuth2, flow => flow.WithClientId("caseline").WithSelectedScopes([Policies.ApiScope])));
    }

    /// <summary>The token endpoint as the caller reaches it (a reverse proxy's https included), or relative outside a request.</summary>
    private static Uri TokenUrl(IServiceProvider services) =>
        services.GetService<IHttpContextAccessor>()?.HttpContext?.Request is { } request
            ? new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{TokenEndpoint.Path}")
            : new Uri(TokenEndpoint.Path, UriKind.Relative);
}
