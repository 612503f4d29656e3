using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Caseline.Server.Audit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Caseline.Server.Identity;

/// <summary>Bearer tokens, the policies the API groups declare, the per-caller rate limit and the audit trail.</summary>
internal static class AccessControl
{
    public const string RateLimitPolicy = "per-caller";

    public static IServiceCollection AddAccessControl(this IServiceCollection services)
    {
        services.AddSingleton<ValidatedTokens>();
        services.AddAuthentication(CachedBearerHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CachedBearerHandler>(CachedBearerHandler.SchemeName, _ => { });
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ForbiddenReasons>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Integration, policy => Require(policy, agency: true, Roles.Officer, Roles.AgencyAdministrator, Roles.Integration))
            .AddPolicy(Policies.WebhookManagement, policy => Require(policy, agency: true, Roles.AgencyAdministrator, Roles.Integration))
            .AddPolicy(Policies.AgencyAdministration, policy => Require(policy, agency: true, Roles.AgencyAdministrator))
            .AddPolicy(Policies.PlatformAdministration, policy => Require(policy, agency: false, Roles.PlatformAdministrator));
        services.AddSingleton<AuditTrail>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitPolicy, context =>
            {
                var identity = context.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value;
                // One budget per API client or user; anonymous callers share one per address.
                var key = context.User.FindFirstValue(OpenIddictConstants.Claims.Subject) ?? "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = identity.RateLimitPermits,
                    Window = identity.RateLimitWindow,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                rejected.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests; retry after the time given.")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    private static void Require(AuthorizationPolicyBuilder policy, bool agency, params string[] roles) =>
        policy.RequireAuthenticatedUser().AddRequirements(new CallerRequirement(agency, roles));
}

/// <summary>
/// What an API route asks of its caller, checked in order so that a refusal says the first thing missing: the API scope,
/// an agency, one of the roles.
/// </summary>
internal sealed class CallerRequirement(bool agency, string[] roles) : AuthorizationHandler<CallerRequirement>, IAuthorizationRequirement
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequirement requirement)
    {
        var user = context.User;
        var role = user.FindFirstValue(OpenIddictConstants.Claims.Role);
        if (!user.HasScope(Policies.ApiScope))
        {
            context.Fail(new AuthorizationFailureReason(this, $"The access token lacks the '{Policies.ApiScope}' scope: ask the token endpoint for scope=openid {Policies.ApiScope}."));
        }
        else if (agency && !user.HasClaim(c => c.Type == TokenEndpoint.AgencyIdClaim))
        {
            context.Fail(new AuthorizationFailureReason(this, "This route is for the users and API clients of an agency; a platform administrator manages agencies only."));
        }
        else if (!roles.Contains(role))
        {
            context.Fail(new AuthorizationFailureReason(this, $"This route needs the role {string.Join(" or ", roles)}; the caller's role is {role}."));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Hands the reason an API route refused its caller to <see cref="CachedBearerHandler"/>, which writes it into the 403 problem.</summary>
internal sealed class ForbiddenReasons : Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler
{
    public const string Item = "caseline:forbidden";

    private readonly Microsoft.AspNetCore.Authorization.Policy.AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, Microsoft.AspNetCore.Authorization.Policy.PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault() is { } reason)
        {
            context.Items[Item] = reason.Message;
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
