using System.Security.Claims;
using System.Security.Cryptography;
using Caseline.Server.Audit;
using Caseline.Server.Storage;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Caseline.Server.Identity;

/// <summary>
/// <c>POST /identity/connect/token</c>, on OpenIddict: the password grant as the original system's
/// integrators call it (HTTP Basic client credentials, <c>scope=openid caseIntegrationApi</c>) and the
/// client credentials grant. OpenIddict parses and answers the OAuth protocol; we decide who gets in,
/// against our own users and clients (its "degraded mode": no OpenIddict stores). Tokens are protected
/// with ASP.NET Core Data Protection, whose keys live under the data folder.
/// </summary>
internal static class TokenEndpoint
{
    public const string Path = "/identity/connect/token";
    public const string RevocationPath = "/identity/connect/revoke";

    /// <summary>The password grant's extra parameter: the authenticator's current code, for a person who has one.</summary>
    public const string CodeParameter = "otp";
    public const string AgencyIdClaim = "caseline:agency_id";
    public const string AgencyNameClaim = "caseline:agency";
    public const string ClientClaim = "caseline:client";

    public static IServiceCollection AddTokenServer(this IServiceCollection services)
    {
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section);
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<Sessions>();
        services.AddSingleton<LogonThrottle>();
        services.AddSingleton<SecondFactor>();
        services.AddSingleton<Logons>();
        services.AddSingleton<AdminOperations>();
        services.AddHostedService<Bootstrap>();
        services.AddOpenIddict()
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(Path.TrimStart('/'));
                server.SetRevocationEndpointUris(RevocationPath.TrimStart('/'));
                server.AllowPasswordFlow().AllowClientCredentialsFlow();
                server.RegisterScopes(Scopes.OpenId, Policies.ApiScope);
                server.EnableDegradedMode();
                server.UseDataProtection();
                // Access tokens are Data Protection payloads; these per-process keys only serve what OpenIddict insists on
                // signing or encrypting (identity tokens). ECDSA and AES keys are made in microseconds, unlike RSA's.
                server.AddEncryptionKey(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)));
                server.AddSigningKey(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)));
                server.DisableAccessTokenEncryption();
                server.AddEventHandler<ValidateTokenRequestContext>(handler => handler.UseScopedHandler<ClientValidator>());
                server.AddEventHandler<ValidateRevocationRequestContext>(handler => handler.UseScopedHandler<ClientValidator>());
                server.AddEventHandler<HandleRevocationRequestContext>(handler => handler.UseScopedHandler<Revoker>());
                server.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .DisableTransportSecurityRequirement(); // TLS is the reverse proxy's job; tests and loopback use plain HTTP
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseDataProtection();
                validation.UseAspNetCore();
            });
        services.AddScoped<AuthenticationHandlerProvider>();
        services.AddScoped<IAuthenticationHandlerProvider, ServerOnItsEndpoint>();
        services.AddOptions<OpenIddict.Server.OpenIddictServerOptions>()
            .Configure<IOptions<IdentityOptions>>((server, identity) => server.AccessTokenLifetime = identity.Value.AccessTokenLifetime);
        return services;
    }

    public static void MapTokenEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, IssueAsync).ExcludeFromDescription();

    /// <summary>
    /// A source that must wait after its failed logons is answered 429 at the token and revocation endpoints before
    /// anything is checked (OpenIddict checks client secrets in the authentication middleware, so this comes first).
    /// </summary>
    public static IApplicationBuilder UseLogonThrottle(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (HttpMethods.IsPost(context.Request.Method)
            && (context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase) || context.Request.Path.Equals(RevocationPath, StringComparison.OrdinalIgnoreCase))
            && context.RequestServices.GetRequiredService<LogonThrottle>().SourceWait(LogonThrottle.SourceOf(context)) is { Ticks: > 0 } wait)
        {
            return TooManyAttempts(wait).ExecuteAsync(context);
        }

        return next(context);
    });

    /// <summary>
    /// Checks the client's credentials before OpenIddict goes on (to issue or to revoke a token): secrets for confidential
    /// clients, none for the public one. A wrong secret counts against its source's throttle, never against the client;
    /// an unknown client costs what a wrong secret costs.
    /// </summary>
    private sealed class ClientValidator(IdentityStore identity, AuditTrail audit, LogonThrottle throttle, IHttpContextAccessor http)
        : OpenIddict.Server.IOpenIddictServerHandler<ValidateTokenRequestContext>, OpenIddict.Server.IOpenIddictServerHandler<ValidateRevocationRequestContext>
    {
        public ValueTask HandleAsync(ValidateTokenRequestContext context) =>
            ValidateAsync(context, context.ClientId, context.ClientSecret, publicAllowed: context.Request.IsPasswordGrantType());

        public ValueTask HandleAsync(ValidateRevocationRequestContext context) =>
            ValidateAsync(context, context.ClientId, context.ClientSecret, publicAllowed: true);

        private async ValueTask ValidateAsync(OpenIddict.Server.OpenIddictServerEvents.BaseValidatingContext context, string? clientId, string? clientSecret, bool publicAllowed)
        {
            var client = identity.FindClient(clientId ?? "");
            var ct = http.HttpContext?.RequestAborted ?? default;
            bool valid;
            if (client?.SecretHash is null)
            {
                // The public client has no secret to check; an unknown one is checked against nothing anyone knows, for the same time.
                valid = client is { Disabled: false } && publicAllowed && string.IsNullOrEmpty(clientSecret);
                if (client is null)
                {
                    PasswordHashing.Verify(clientSecret ?? "", identity.DummyHash);
                }
            }
            else
            {
                valid = clientSecret is { Length: > 0 and <= 1024 } secret && PasswordHashing.Verify(secret, client.SecretHash) && !client.Disabled;
            }

            if (!valid)
            {
                throttle.SourceFailed(LogonThrottle.SourceOf(http.HttpContext!));
                await audit.RecordAsync(http.HttpContext!, client?.AgencyId, clientId ?? "", "logon", null, StatusCodes.Status401Unauthorized, ct);
                context.Reject(Errors.InvalidClient, "The client credentials are invalid.");
            }
        }
    }

    /// <summary>
    /// RFC 7009 revocation of an access token: its session ends here at once and in every other process within a second.
    /// A token of another client, or one that is not a token, is answered 200 all the same and changes nothing (RFC 7009 2.2).
    /// </summary>
    private sealed class Revoker(WriteQueue writes, Sessions sessions, TimeProvider clock) : OpenIddict.Server.IOpenIddictServerHandler<HandleRevocationRequestContext>
    {
        public async ValueTask HandleAsync(HandleRevocationRequestContext context)
        {
            var principal = context.GenericTokenPrincipal;
            if (principal?.GetClaim(Sessions.SessionClaim) is { } session && principal.GetClaim(ClientClaim) == context.Request.ClientId)
            {
                var until = principal.GetExpirationDate() ?? clock.GetUtcNow().AddDays(1);
                await writes.RunAsync(scope =>
                {
                    sessions.End(scope, session, until);
                    return true;
                }, context.CancellationToken);
            }
        }
    }

    private static async Task<IResult> IssueAsync(HttpContext context, IdentityStore identity, Logons logons, CancellationToken ct)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        var client = identity.FindClient(request.ClientId!)!;
        if (client.Disabled)
        {
            // Disabled since its secret was checked: the stamp read here is the new one, so the token must not be made.
            return Refuse("The client is disabled.");
        }

        ClaimsIdentity subject;
        if (request.IsPasswordGrantType())
        {
            // The client and the user must belong to the same agency, except the first-party public client.
            var outcome = await logons.PasswordAsync(context, request.Username, request.Password, user => client.AgencyId is null || client.AgencyId == user.AgencyId, ct);
            if (outcome.Result != LogonResult.Succeeded)
            {
                return Refuse(outcome, "The user name or password is incorrect.");
            }

            var user = outcome.User!;
            if (!user.ServiceAccount && identity.MustChangePassword(user.Id))
            {
                return Refuse("The password was set by an administrator to be used once: replace it in the web UI first.");
            }

            if (!user.ServiceAccount && identity.ProtectedTotpSecret(user.Id) is not null)
            {
                if (request.GetParameter(CodeParameter)?.ToString() is not { Length: > 0 } code)
                {
                    return Refuse(
                        "This account has a second factor: send the code the authenticator app shows now as the 'otp' parameter. "
                        + "An integration logs on with a service account or the client credentials grant.");
                }

                var second = await logons.CodeAsync(context, user, code, recoveryCodes: false, ct);
                if (second.Result != LogonResult.Succeeded)
                {
                    return Refuse(second, "The code is not right, or was used already.");
                }
            }
            else if (!user.ServiceAccount && user.AgencyId is { } agency && identity.AgencyRequiresMfa(agency))
            {
                return Refuse(
                    "The agency requires a second factor: set up an authenticator app in the web UI first. "
                    + "An integration logs on with a service account or the client credentials grant.");
            }

            await logons.CompletedAsync(context, user, ct);
            subject = Identity(user.Id, user.Login, user.Role, user.AgencyId, client.ClientId, identity);
            subject.SetClaim(Sessions.UserStampClaim, user.Stamp);
        }
        else
        {
            subject = Identity(client.ClientId, client.Name, Roles.Integration, client.AgencyId, client.ClientId, identity);
            await logons.ClientCompletedAsync(context, client, ct);
        }

        subject.SetClaim(Sessions.ClientStampClaim, client.Stamp).SetClaim(Sessions.SessionClaim, Sessions.NewSessionId());
        subject.SetScopes(request.GetScopes().Intersect([Scopes.OpenId, Policies.ApiScope], StringComparer.Ordinal));
        subject.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(subject), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static ClaimsIdentity Identity(string subject, string name, string role, long? agencyId, string clientId, IdentityStore identity)
    {
        var claims = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        claims.SetClaim(Claims.Subject, subject).SetClaim(Claims.Name, name).SetClaim(Claims.Role, role).SetClaim(ClientClaim, clientId);
        if (agencyId is { } agency)
        {
            claims.SetClaim(AgencyIdClaim, agency.ToString(System.Globalization.CultureInfo.InvariantCulture));
            claims.SetClaim(AgencyNameClaim, identity.AgencyName(agency));
        }

        return claims;
    }

    /// <summary>
    /// Gives OpenIddict's server handler the token and revocation endpoints' requests only. The authentication middleware
    /// hands every request to each scheme that handles requests, and the server ran its whole pipeline on
    /// every API call to find that it was not its endpoint: 4% of the CPU of an update.
    /// </summary>
    private sealed class ServerOnItsEndpoint(AuthenticationHandlerProvider handlers) : IAuthenticationHandlerProvider
    {
        public Task<IAuthenticationHandler?> GetHandlerAsync(HttpContext context, string authenticationScheme) =>
            authenticationScheme == OpenIddictServerAspNetCoreDefaults.AuthenticationScheme
            && !context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase)
            && !context.Request.Path.StartsWithSegments(RevocationPath, StringComparison.OrdinalIgnoreCase)
                ? Task.FromResult<IAuthenticationHandler?>(null)
                : handlers.GetHandlerAsync(context, authenticationScheme);
    }

    /// <summary>A refused logon step: throttled is 429 with <c>Retry-After</c> (in OAuth's error shape), the rest OAuth's <c>invalid_grant</c>.</summary>
    private static IResult Refuse(LogonOutcome outcome, string invalid) => outcome.Result switch
    {
        LogonResult.Throttled => TooManyAttempts(outcome.RetryAfter),
        LogonResult.LockedOut => Refuse("The account is locked after too many failed logons; try again later, or ask an administrator to unlock it."),
        _ => Refuse(invalid),
    };

    /// <summary>429 with <c>Retry-After</c>, in the token endpoint's error shape (RFC 6749 5.2).</summary>
    public static IResult TooManyAttempts(TimeSpan wait)
    {
        var seconds = LogonThrottle.Seconds(wait);
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["error"] = "slow_down",
            ["error_description"] = $"Too many failed logons; try again in {LogonThrottle.Phrase(wait)}.",
        };
        return new OAuthError(body.ToJsonString(), StatusCodes.Status429TooManyRequests, seconds);
    }

    private sealed class OAuthError(string json, int status, int retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            httpContext.Response.Headers.CacheControl = "no-store";
            httpContext.Response.ContentType = "application/json;charset=UTF-8";
            return httpContext.Response.WriteAsync(json);
        }
    }

    private static IResult Refuse(string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
