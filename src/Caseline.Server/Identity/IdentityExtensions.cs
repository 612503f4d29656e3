namespace Caseline.Server.Identity;

internal static class IdentityExtensions
{
    /// <summary>
    /// Authentication for the API. Until the token server lands only the development scheme exists,
    /// and it accepts nobody unless <see cref="CaselineOptions.DevelopmentAuthentication"/> is on:
    /// then every API route answers 401.
    /// </summary>
    public static IServiceCollection AddCaselineAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(DevelopmentAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DevelopmentAuthenticationHandler>(
                DevelopmentAuthenticationHandler.SchemeName, null);

        services.AddAuthorization();
        return services;
    }
}
