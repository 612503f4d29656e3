using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Caseline.Server.Audit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace Caseline.Server.Identity;

/// <summary>Bearer tokens, the policies the API groups declare, the per-caller rate limit and the audit trail.</summary>
internal static class AccessControl
{
    public const string RateLimitPolicy = "per-caller";

    public static IServiceCollection AddAccessControl(this IServiceCollection services)
    {
        services.AddSingleton<ValidatedTokens>();
        services.AddAuthentication(CachedBearerHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CachedBearerHandler>(CachedBearerHandler.SchemeName, bearer =>
            {
                bearer.ForwardChallenge = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
                bearer.ForwardForbid = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
            });
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
        policy.RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.HasScope(Policies.ApiScope))
            .RequireAssertion(context => !agency || context.User.HasClaim(c => c.Type == TokenEndpoint.AgencyIdClaim))
            .RequireAssertion(context => roles.Contains(context.User.FindFirstValue(OpenIddictConstants.Claims.Role)));
}
