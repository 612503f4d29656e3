namespace Caseline.Server.Identity;

/// <summary>Who may do what.</summary>
internal static class Roles
{
    public const string Officer = "Officer";
    public const string AgencyAdministrator = "AgencyAdministrator";
    public const string PlatformAdministrator = "PlatformAdministrator";
    public const string Integration = "Integration";

    public static readonly string[] UserRoles = [Officer, AgencyAdministrator, PlatformAdministrator];
}

/// <summary>The authorization policies the API groups declare.</summary>
internal static class Policies
{
    public const string ApiScope = "caseIntegrationApi";

    /// <summary>Sync and Transmit: a token with the API scope, from someone of an agency.</summary>
    public const string Integration = "Integration";

    /// <summary>Managing an agency's webhooks: its administrators and its API clients.</summary>
    public const string WebhookManagement = "WebhookManagement";

    /// <summary>Managing an agency's users, clients and lookups, and reading its audit trail.</summary>
    public const string AgencyAdministration = "AgencyAdministration";

    /// <summary>Creating agencies.</summary>
    public const string PlatformAdministration = "PlatformAdministration";
}
