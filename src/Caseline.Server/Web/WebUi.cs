using System.Reflection;
using System.Security.Claims;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Caseline.Server.Web;

/// <summary>
/// The officer and administrator web UI: Razor Pages under <c>/ui</c>, rendered on the server, working without
/// JavaScript. People sign in with the same users, passwords and lockout as the token endpoint, into a cookie
/// that holds the same claims a token would, so every page reaches the data through the same <see cref="Caller"/>
/// and the same operations as the API.
/// </summary>
internal static class WebUi
{
    public const string Scheme = "caseline-web";

    /// <summary>The client part of <see cref="Caller.Origin"/> for what is written through the UI.</summary>
    public const string ClientId = "caseline-web";

    public const string Root = "/ui";

    /// <summary>Anyone signed in to the UI.</summary>
    public const string SignedIn = "web-signed-in";

    /// <summary>Officers and administrators of an agency: the caseload and client pages.</summary>
    public const string Officers = "web-officers";

    /// <summary>An agency's administrators: deliveries and administration.</summary>
    public const string Administrators = "web-administrators";

    /// <summary>The platform's administrators: agencies.</summary>
    public const string Platform = "web-platform";

    // No inline script or style anywhere: every page's assets are the app's own files.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddWebUi(this IServiceCollection services)
    {
        services.AddAuthentication().AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = "caseline.session";
            cookie.Cookie.Path = Root;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // TLS ends at the reverse proxy; loopback is plain HTTP
            cookie.LoginPath = Root + "/signin";
            cookie.LogoutPath = Root + "/signout";
            cookie.AccessDeniedPath = Root + "/denied";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = StillAllowedAsync;
        });
        services.AddOptions<CookieAuthenticationOptions>(Scheme)
            .Configure<IOptions<IdentityOptions>, TimeProvider>((cookie, identity, clock) =>
            {
                cookie.ExpireTimeSpan = identity.Value.WebIdleTimeout;
                cookie.TimeProvider = clock;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(SignedIn, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser())
            .AddPolicy(Officers, policy => Require(policy, agency: true, Roles.Officer, Roles.AgencyAdministrator))
            .AddPolicy(Administrators, policy => Require(policy, agency: true, Roles.AgencyAdministrator))
            .AddPolicy(Platform, policy => Require(policy, agency: false, Roles.PlatformAdministrator));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "caseline.antiforgery";
            antiforgery.Cookie.Path = Root;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "__antiforgery";
        });
        services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Web/Pages";
            // Every page needs a signed-in person; each folder then says whose it is (a new page is never open by accident).
            pages.Conventions.AuthorizeFolder("/", SignedIn);
            // The caseload: its page sends the platform administrator, of no agency, on to Agencies.
            pages.Conventions.AuthorizePage("/Index", SignedIn);
            pages.Conventions.AuthorizeFolder("/Clients", Officers);
            pages.Conventions.AuthorizeFolder("/Deliveries", Administrators);
            pages.Conventions.AuthorizeFolder("/Admin", Administrators);
            pages.Conventions.AuthorizeFolder("/Agencies", Platform);
            pages.Conventions.AllowAnonymousToPage("/SignIn");
            pages.Conventions.AllowAnonymousToPage("/Status");
            pages.Conventions.AllowAnonymousToPage("/Denied");
        }).AddMvcOptions(mvc =>
        {
            mvc.Filters.Add<ReplacePasswordFirst>();
            mvc.Filters.Add<EnrolFirst>();
        }).AddCookieTempDataProvider(temp =>
        {
            temp.Cookie.Name = "caseline.notice";
            temp.Cookie.Path = Root;
            temp.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddSingleton<DeliveryHealth>();
        return services;
    }

    /// <summary>Security headers on every UI response, and the UI's own status pages for its errors.</summary>
    public static IApplicationBuilder UseWebUi(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Root, StringComparison.OrdinalIgnoreCase), ui =>
        {
            ui.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                // Pages hold personal data: no cache keeps them, and Back after signing out shows nothing. (Antiforgery
                // would set the same on every page with a form.)
                headers.CacheControl = context.Request.Path.StartsWithSegments(Root + "/assets", StringComparison.OrdinalIgnoreCase) ? "public, max-age=3600" : "no-cache, no-store";
                return next(context);
            });
            ui.UseStatusCodePagesWithReExecute(Root + "/status/{0}");
        });

    public static void MapWebUi(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapGet(Root + "/assets/{name}", Asset).ExcludeFromDescription().AllowAnonymous();
    }

    /// <summary>The principal the UI's cookie carries: the claims a token of the first-party client would.</summary>
    public static ClaimsPrincipal Principal(UserAccount user, string? agencyName)
    {
        var claims = new ClaimsIdentity(Scheme, Claims.Name, Claims.Role);
        claims.AddClaim(new Claim(Claims.Subject, user.Id));
        claims.AddClaim(new Claim(Claims.Name, user.Login));
        claims.AddClaim(new Claim(Claims.Role, user.Role));
        claims.AddClaim(new Claim(TokenEndpoint.ClientClaim, ClientId));
        claims.AddClaim(new Claim(Sessions.UserStampClaim, user.Stamp));
        claims.AddClaim(new Claim(Sessions.SessionClaim, Sessions.NewSessionId()));
        if (user.AgencyId is { } agency)
        {
            claims.AddClaim(new Claim(TokenEndpoint.AgencyIdClaim, agency.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            claims.AddClaim(new Claim(TokenEndpoint.AgencyNameClaim, agencyName ?? ""));
        }

        return new ClaimsPrincipal(claims);
    }

    /// <summary>Where a user lands after signing in.</summary>
    public static string Home(string role) => role == Roles.PlatformAdministrator ? Root + "/agencies" : Root + "/";

    private static void Require(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder policy, bool agency, params string[] roles) =>
        policy.AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => agency == context.User.HasClaim(c => c.Type == TokenEndpoint.AgencyIdClaim))
            .RequireAssertion(context => roles.Contains(context.User.FindFirstValue(Claims.Role)));

    /// <summary>
    /// A session ends as soon as it is signed out, or its user is disabled, given another role, or has a password or
    /// second factor changed or reset (<see cref="Sessions"/>: no database round trip per request).
    /// </summary>
    private static Task StillAllowedAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } principal && context.HttpContext.RequestServices.GetRequiredService<Sessions>().IsCurrent(principal))
        {
            return Task.CompletedTask;
        }

        context.RejectPrincipal();
        return context.HttpContext.SignOutAsync(Scheme);
    }

    /// <summary>Signs the request's session in again under its user's new stamp: a change that ends the user's other sessions keeps this one.</summary>
    public static Task KeepSessionAsync(HttpContext context, string stamp, IEnumerable<Claim> claims)
    {
        var kept = new ClaimsIdentity(claims.Where(c => c.Type != Sessions.UserStampClaim), Scheme, Claims.Name, Claims.Role);
        kept.AddClaim(new Claim(Sessions.UserStampClaim, stamp));
        return context.SignInAsync(Scheme, new ClaimsPrincipal(kept), new AuthenticationProperties { IsPersistent = false });
    }

    /// <summary>Ends the request's session on the server too: its cookie, replayed, opens nothing.</summary>
    public static async Task SignOutAsync(HttpContext context)
    {
        var session = await context.AuthenticateAsync(Scheme);
        if (session.Principal?.FindFirstValue(Sessions.SessionClaim) is { } id)
        {
            var clock = context.RequestServices.GetRequiredService<TimeProvider>();
            var until = session.Properties?.ExpiresUtc ?? clock.GetUtcNow() + context.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.WebIdleTimeout;
            var sessions = context.RequestServices.GetRequiredService<Sessions>();
            await context.RequestServices.GetRequiredService<Storage.WriteQueue>().RunAsync(scope =>
            {
                sessions.End(scope, id, until);
                return true;
            }, context.RequestAborted);
        }

        await context.SignOutAsync(Scheme);
    }

    /// <summary>A session whose agency requires a second factor it does not have yet opens the enrolment page only.</summary>
    private sealed class EnrolFirst : Microsoft.AspNetCore.Mvc.Filters.IPageFilter
    {
        public void OnPageHandlerSelected(Microsoft.AspNetCore.Mvc.Filters.PageHandlerSelectedContext context)
        {
        }

        public void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context)
        {
            var page = context.ActionDescriptor.ViewEnginePath;
            if (context.HttpContext.User.HasClaim(c => c.Type == SecondFactor.EnrolClaim) && page is not ("/Account/Index" or "/Account/Password" or "/SignOut" or "/SignIn" or "/Status"))
            {
                context.Result = new Microsoft.AspNetCore.Mvc.RedirectResult(Root + "/account");
            }
        }

        public void OnPageHandlerExecuted(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutedContext context)
        {
        }
    }

    /// <summary>
    /// A user whose password someone else set (an invitation, a reset) opens only the password page until they have chosen
    /// their own. Read from the store at each page, so a reset reaches a session that is already open.
    /// </summary>
    private sealed class ReplacePasswordFirst(IdentityStore identity) : Microsoft.AspNetCore.Mvc.Filters.IPageFilter
    {
        public void OnPageHandlerSelected(Microsoft.AspNetCore.Mvc.Filters.PageHandlerSelectedContext context)
        {
        }

        public void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context)
        {
            var user = context.HttpContext.User;
            if (context.ActionDescriptor.ViewEnginePath is not ("/Account/Password" or "/SignOut" or "/SignIn" or "/Status" or "/Denied")
                && user.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == Scheme)
                && user.FindFirstValue(Claims.Subject) is { } userId && identity.MustChangePassword(userId))
            {
                context.Result = new Microsoft.AspNetCore.Mvc.RedirectResult(Root + "/account/password");
            }
        }

        public void OnPageHandlerExecuted(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutedContext context)
        {
        }
    }

    private static readonly Assembly Assets = typeof(WebUi).Assembly;

    private static IResult Asset(string name)
    {
        var type = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => null,
        };
        var stream = type is null || name.Contains('/', StringComparison.Ordinal) ? null : Assets.GetManifestResourceStream("Caseline.Server.Web.Assets." + name);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, type);
    }
}
