using System.Globalization;
using System.Security.Claims;

namespace Caseline.Server.Identity;

/// <summary>
/// Who is calling: the agency every query is scoped to, and the login written as <c>UpdatedBy</c>.
/// Handlers receive it as a parameter (bound from the authenticated principal), so no handler chooses
/// an agency by itself: a request that is not of an agency cannot get one.
/// </summary>
/// <param name="AgencyId">The agency every query is scoped to.</param>
/// <param name="AgencyName">The agency's name.</param>
/// <param name="Login">The user's login or the API client's name: <c>UpdatedBy</c> of what the caller writes.</param>
/// <param name="Role">The caller's role.</param>
/// <param name="Origin">
/// The credentials behind the token: the API client and the subject (user or client) it was issued to.
/// Each message keeps its writer's origin, so a reader with the same credentials can tell its own echo.
/// </param>
internal sealed record Caller(long AgencyId, string AgencyName, string Login, string Role, string Origin)
{
    /// <summary>The caller of an authenticated request of an agency; fails (403) for anyone else.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<Caller?>(TryFrom(context.User) ?? throw new BadHttpRequestException("The caller belongs to no agency.", StatusCodes.Status403Forbidden));

    public static Caller? TryFrom(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(TokenEndpoint.AgencyIdClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var agencyId)
            ? new Caller(
                agencyId,
                user.FindFirstValue(TokenEndpoint.AgencyNameClaim) ?? "",
                user.FindFirstValue(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name) ?? "",
                user.FindFirstValue(OpenIddict.Abstractions.OpenIddictConstants.Claims.Role) ?? "",
                OriginOf(user.FindFirstValue(TokenEndpoint.ClientClaim), user.FindFirstValue(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject)))
            : null;

    /// <summary>The user or API client the credentials were issued to (the second part of <see cref="Origin"/>).</summary>
    public string Subject => Origin[(Origin.IndexOf(' ', StringComparison.Ordinal) + 1)..];

    // Client ids are identifiers (no spaces), so the pair reads back unambiguously.
    private static string OriginOf(string? clientId, string? subject) => $"{clientId} {subject}";
}
