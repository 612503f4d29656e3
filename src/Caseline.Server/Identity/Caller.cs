using System.Security.Claims;

namespace Caseline.Server.Identity;

/// <summary>Who is calling: the agency every query is scoped to, and the login written as <c>UpdatedBy</c>.</summary>
internal sealed record Caller(long AgencyId, string AgencyName, string Login)
{
    public const string AgencyIdClaim = "caseline:agency_id";
    public const string AgencyNameClaim = "caseline:agency";

    /// <summary>The caller of an authenticated request; the authentication handler put the claims there.</summary>
    public static Caller From(ClaimsPrincipal user) =>
        new(
            long.Parse(user.FindFirstValue(AgencyIdClaim) ?? throw new InvalidOperationException("No agency on the principal"), System.Globalization.CultureInfo.InvariantCulture),
            user.FindFirstValue(AgencyNameClaim) ?? "",
            user.Identity?.Name ?? throw new InvalidOperationException("No login on the principal"));
}
