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
/// so the cache holds no usable token. Whether a remembered token's session still stands is asked on every
/// request (<see cref="Sessions"/>), so a cached principal answers exactly as validating the token again would.
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
/// other request is authenticated by OpenIddict's validation, whose successes are remembered. Either way the token's
/// session must still stand (<see cref="Sessions"/>: no database round trip). A refusal is a problem document that
/// says why: no token, a token not valid or expired, a token whose session ended, or what the route needs.
/// </summary>
internal sealed class CachedBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ValidatedTokens tokens, Sessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "caseline-bearer";
    private const string Prefix = "Bearer ";
    private const string Why = "caseline:unauthenticated";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers.Authorization is not [{ } header] || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = ValidatedTokens.Key(header.AsSpan(Prefix.Length).Trim());
        var principal = tokens.Find(key);
        if (principal is null)
        {
            var result = await Context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
            if (result is not { Succeeded: true, Properties.ExpiresUtc: { } expires })
            {
                Context.Items[Why] = "The access token is not valid or has expired: get a new one from the token endpoint.";
                return result.Failure is null ? AuthenticateResult.Fail("The access token is not valid.") : AuthenticateResult.Fail(result.Failure);
            }

            principal = result.Principal;
            tokens.Remember(key, principal, expires);
        }

        if (!sessions.IsCurrent(principal))
        {
            Context.Items[Why] = "The access token was revoked (a sign-out, or a change to its account): get a new one from the token endpoint.";
            return AuthenticateResult.Fail("The access token was revoked.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var why = Context.Items[Why] as string;
        // RFC 6750 3: no error code when the request carried no token at all.
        Response.Headers.WWWAuthenticate = why is null
            ? "Bearer realm=\"caseline\""
            : $"Bearer realm=\"caseline\", error=\"invalid_token\", error_description=\"{why}\"";
        return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", why ?? "No access token: send 'Authorization: Bearer <token>' with a token from the token endpoint.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden", Context.Items[ForbiddenReasons.Item] as string ?? "The caller may not use this route.");

    private Task Problem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        return Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
