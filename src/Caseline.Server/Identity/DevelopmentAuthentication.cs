using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>
/// A stand-in until the token server exists: the caller names its agency and login in the
/// <c>Caseline-Agency</c> and <c>Caseline-User</c> headers. Registered only when
/// <c>Caseline:DevelopmentAuthentication</c> is true, which only the Development settings set.
/// </summary>
internal sealed class DevelopmentAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<CaselineOptions> caseline,
    AgencyDirectory agencies) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Development";
    public const string AgencyHeader = "Caseline-Agency";
    public const string UserHeader = "Caseline-User";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!caseline.Value.DevelopmentAuthentication)
        {
            return AuthenticateResult.NoResult();
        }

        var agency = Request.Headers[AgencyHeader].ToString();
        var user = Request.Headers[UserHeader].ToString();
        if (agency.Length == 0 || user.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (agency.Length > 100 || user.Length > 254)
        {
            return AuthenticateResult.Fail("The agency or user header is too long.");
        }

        var agencyId = await agencies.EnsureAsync(agency, Context.RequestAborted).ConfigureAwait(false);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, user),
                new Claim(Caller.AgencyNameClaim, agency),
                new Claim(Caller.AgencyIdClaim, agencyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
