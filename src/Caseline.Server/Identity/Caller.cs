using System.Globalization;
using System.Security.Claims;

namespace Caseline.Server.Identity;

/// <summary>
/// Who is calling: the agency every query is scoped to, and the login written as <c>UpdatedBy</c>.
/// Handlers receive it as a parameter (bound from the authenticated principal), so no handler chooses
/// an agency by itself: a request that is not of an agency cannot get one.
/// </summary>
internal sealed record Caller(long AgencyId, string AgencyName, string Login, string Role)
{
    /// <summary>The caller of an authenticated request of an agency; fails (403) for anyone else.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<Caller?>(TryFrom(context.User) ?? throw new BadHttpRequestException("The caller belongs to no agency.", StatusCodes.Status403Forbidden));

    public static Caller? TryFrom(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(TokenEndpoint.AgencyIdClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var agencyId)
            ? new Caller(agencyId, user.FindFirstValue(TokenEndpoint.AgencyNameClaim) ?? "", user.FindFirstValue(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name) ?? "", user.FindFirstValue(OpenIddict.Abstractions.OpenIddictConstants.Claims.Role) ?? "")
            : null;
}
