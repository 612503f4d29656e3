using System.Collections.Concurrent;
using System.Security.Claims;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Validation.AspNetCore;

namespace Caseline.Server.Identity;

/// <summary>
/// The principals of access tokens OpenIddict has already validated, each kept until its token expires.
/// A CMS sends the same token for an hour; reading it again on every request (Data Protection decryption,
/// then OpenIddict's validation handlers) was the largest part of a small update's cost. Keys are hashes,
/// so the cache holds no usable token. Tokens cannot be revoked before they expire (there is no token
/// store), so a cached principal answers exactly as validating the token again would.
/// </summary>
internal sealed class ValidatedTokens
{
    /// <summary>At most this many tokens are remembered; beyond it, tokens are validated every time.</summary>
    public const int Capacity = 10_000;

    // Expiry is judged on the clock OpenIddict judged it on, not on the product's (tests move that one).
    private readonly TimeProvider clock = TimeProvider.System;
    private readonly ConcurrentDictionary<string, (ClaimsPrincipal Principal, DateTimeOffset Expires)> principals = new(StringComparer.Ordinal);

    public int Count => principals.Count;

    public ClaimsPrincipal? Find(string key)
    {
        if (!principals.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Expires > clock.GetUtcNow())
        {
            return entry.Principal;
        }

        principals.TryRemove(key, out _);
        return null;
    }

    public void Remember(string key, ClaimsPrincipal principal, DateTimeOffset expires)
    {
        var now = clock.GetUtcNow();
        if (expires <= now)
        {
            return;
        }

        if (principals.Count >= Capacity)
        {
            foreach (var (expired, _) in principals.Where(p => p.Value.Expires <= now))
            {
                principals.TryRemove(expired, out _);
            }

            if (principals.Count >= Capacity)
            {
                return;
            }
        }

        principals[key] = (principal, expires);
    }

    /// <summary>The cache key of a bearer token: the SHA-256 of its characters.</summary>
    public static string Key(ReadOnlySpan<char> token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(token), hash);
        return Convert.ToBase64String(hash);
    }
}

/// <summary>
/// The API's authentication scheme: a token seen before is answered from <see cref="ValidatedTokens"/>, any
/// other request is authenticated by OpenIddict's validation, whose successes are remembered. Challenges and
/// refusals are OpenIddict's, so a client sees the same 401 and 403 responses as before.
/// </summary>
internal sealed class CachedBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ValidatedTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "caseline-bearer";
    private const string Prefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = null;
        if (Request.Headers.Authorization is [{ } header] && header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            key = ValidatedTokens.Key(header.AsSpan(Prefix.Length).Trim());
            if (tokens.Find(key) is { } principal)
            {
                return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
            }
        }

        var result = await Context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (key is not null && result is { Succeeded: true, Properties.ExpiresUtc: { } expires })
        {
            tokens.Remember(key, result.Principal, expires);
        }

        return result;
    }
}
