using System.Security.Claims;
using System.Security.Cryptography;
using Caseline.Server.Audit;
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
    public const string AgencyIdClaim = "caseline:agency_id";
    public const string AgencyNameClaim = "caseline:agency";
    public const string ClientClaim = "caseline:client";

    public static IServiceCollection AddTokenServer(this IServiceCollection services)
    {
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section);
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        services.AddSingleton<IdentityStore>();
        services.AddHostedService<Bootstrap>();
        services.AddOpenIddict()
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(Path.TrimStart('/'));
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

    /// <summary>Checks the client's credentials before OpenIddict goes on: secrets for confidential clients, none for the public one.</summary>
    private sealed class ClientValidator(IdentityStore identity, AuditTrail audit, IHttpContextAccessor http) : OpenIddict.Server.IOpenIddictServerHandler<ValidateTokenRequestContext>
    {
        public async ValueTask HandleAsync(ValidateTokenRequestContext context)
        {
            var clientId = context.ClientId ?? "";
            var client = identity.FindClient(clientId);
            var ct = http.HttpContext?.RequestAborted ?? default;
            var valid = client is { Disabled: false }
                && (client.SecretHash is null
                    ? context.Request.IsPasswordGrantType() && string.IsNullOrEmpty(context.ClientSecret)
                    : context.ClientSecret is { Length: > 0 } secret && !identity.IsLockedOut("client:" + clientId) && PasswordHashing.Verify(secret, client.SecretHash));
            if (!valid)
            {
                if (client?.SecretHash is not null)
                {
                    await identity.RecordFailureAsync("client:" + clientId, ct);
                }

                await audit.RecordAsync(http.HttpContext!, client?.AgencyId, clientId, "logon", null, StatusCodes.Status401Unauthorized, ct);
                context.Reject(Errors.InvalidClient, "The client credentials are invalid.");
            }
        }
    }

    private static async Task<IResult> IssueAsync(HttpContext context, IdentityStore identity, AuditTrail audit, CancellationToken ct)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        var client = identity.FindClient(request.ClientId!)!;
        ClaimsIdentity subject;
        if (request.IsPasswordGrantType())
        {
            var login = request.Username ?? "";
            var user = identity.FindUser(login);
            if (identity.IsLockedOut(login))
            {
                await audit.RecordAsync(context, user?.AgencyId, login, "logon", null, StatusCodes.Status423Locked, ct);
                return Refuse("The account is locked after too many failed logons; try again later.");
            }

            // The client and the user must belong to the same agency, except the first-party public client.
            if (user is not { Disabled: false } || !PasswordHashing.Verify(request.Password ?? "", user.PasswordHash)
                || (client.AgencyId is not null && client.AgencyId != user.AgencyId))
            {
                await identity.RecordFailureAsync(login, ct);
                await audit.RecordAsync(context, user?.AgencyId, login, "logon", null, StatusCodes.Status400BadRequest, ct);
                return Refuse("The user name or password is incorrect.");
            }

            await identity.ClearFailuresAsync(login, ct);
            subject = Identity(user.Id, user.Login, user.Role, user.AgencyId, client.ClientId, identity);
            await audit.RecordAsync(context, user.AgencyId, user.Login, "logon", null, StatusCodes.Status200OK, ct);
        }
        else
        {
            await identity.ClearFailuresAsync("client:" + client.ClientId, ct);
            subject = Identity(client.ClientId, client.Name, Roles.Integration, client.AgencyId, client.ClientId, identity);
            await audit.RecordAsync(context, client.AgencyId, client.Name, "logon", null, StatusCodes.Status200OK, ct);
        }

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
    /// Gives OpenIddict's server handler the token endpoint's requests only. The authentication middleware
    /// hands every request to each scheme that handles requests, and the server ran its whole pipeline on
    /// every API call to find that it was not its endpoint: 4% of the CPU of an update.
    /// </summary>
    private sealed class ServerOnItsEndpoint(AuthenticationHandlerProvider handlers) : IAuthenticationHandlerProvider
    {
        public Task<IAuthenticationHandler?> GetHandlerAsync(HttpContext context, string authenticationScheme) =>
            authenticationScheme == OpenIddictServerAspNetCoreDefaults.AuthenticationScheme && !context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase)
                ? Task.FromResult<IAuthenticationHandler?>(null)
                : handlers.GetHandlerAsync(context, authenticationScheme);
    }

    private static IResult Refuse(string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
