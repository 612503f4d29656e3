namespace Caseline.Client;

/// <summary>
/// How the SDK obtains its access tokens from <c>/identity/connect/token</c>. Secrets are kept in memory
/// only and never appear in <see cref="ToString"/>, logs or exceptions.
/// </summary>
public abstract class CaselineCredentials
{
    private protected CaselineCredentials(string clientId, string? clientSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ClientId = clientId;
        ClientSecret = clientSecret;
    }

    /// <summary>The API client's id (for the password grant, the CMS's client; <c>caseline</c> for the first-party public client).</summary>
    public string ClientId { get; }

    internal string? ClientSecret { get; }

    /// <summary>
    /// The resource-owner password grant, as the original system's integration guide does it: the CMS's
    /// API client (id and secret, sent with HTTP Basic) and a user's login and password. Changes are
    /// written with the user's login as <c>UpdatedBy</c>.
    /// </summary>
    /// <param name="clientId">The API client's id.</param>
    /// <param name="clientSecret">Its secret; null for a public client.</param>
    /// <param name="username">The user's login.</param>
    /// <param name="password">The user's password.</param>
    public static CaselineCredentials Password(string clientId, string? clientSecret, string username, string password) =>
        new PasswordCredentials(clientId, clientSecret, username, password);

    /// <summary>The client credentials grant for a machine client; changes carry the client's name as <c>UpdatedBy</c>.</summary>
    /// <param name="clientId">The API client's id.</param>
    /// <param name="clientSecret">Its secret.</param>
    public static CaselineCredentials ClientCredentials(string clientId, string clientSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        return new ClientCredentialsGrant(clientId, clientSecret);
    }

    /// <summary>The form fields of the token request beyond the scope and the client's own credentials.</summary>
    internal abstract IEnumerable<KeyValuePair<string, string>> GrantFields();

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({ClientId})";

    private sealed class PasswordCredentials(string clientId, string? clientSecret, string username, string password)
        : CaselineCredentials(clientId, clientSecret)
    {
        internal override IEnumerable<KeyValuePair<string, string>> GrantFields() =>
        [
            new("grant_type", "password"),
            new("username", username),
            new("password", password),
        ];

        public override string ToString() => $"Password({ClientId}, {username})";
    }

    private sealed class ClientCredentialsGrant(string clientId, string clientSecret) : CaselineCredentials(clientId, clientSecret)
    {
        internal override IEnumerable<KeyValuePair<string, string>> GrantFields() => [new("grant_type", "client_credentials")];
    }
}
