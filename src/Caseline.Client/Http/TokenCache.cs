using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Caseline.Client.Http;

/// <summary>
/// One access token at a time: fetched on first use, kept until a fifth of its lifetime (at most five
/// minutes) is left, then renewed by the next call; a call that got 401 drops it, so the next one renews.
/// Concurrent callers share one renewal.
/// </summary>
internal sealed class TokenCache(CaselineClientOptions options, Func<Func<HttpRequestMessage>, CancellationToken, Task<HttpResponseMessage>> send) : IDisposable
{
    internal const string TokenPath = "identity/connect/token";

    private readonly SemaphoreSlim _renewing = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _current;

    /// <summary>How many tokens were requested; tests and diagnostics read it.</summary>
    public int Requested { get; private set; }

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        if (_current is { } current && options.TimeProvider.GetUtcNow() < current.RenewAt)
        {
            return current.Token;
        }

        await _renewing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_current is { } fresh && options.TimeProvider.GetUtcNow() < fresh.RenewAt)
            {
                return fresh.Token;
            }

            var token = await RequestAsync(ct).ConfigureAwait(false);
            _current = token;
            return token.Token;
        }
        finally
        {
            _renewing.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> if it is still the current one (another caller may have renewed it already).</summary>
    public void Invalidate(string token)
    {
        if (_current is { } current && current.Token == token)
        {
            _current = null;
        }
    }

    private async Task<(string Token, DateTimeOffset RenewAt)> RequestAsync(CancellationToken ct)
    {
        var credentials = options.Credentials!;
        Requested++;
        using var response = await send(() =>
        {
            var form = credentials.GrantFields().Append(new("scope", options.Scope)).ToList();
            var request = new HttpRequestMessage(HttpMethod.Post, TokenPath);
            if (credentials.ClientSecret is null)
            {
                form.Add(new("client_id", credentials.ClientId));
            }
            else
            {
                // RFC 6749 §2.3.1: both parts form-encoded before they are joined.
                var basic = $"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.ClientSecret)}";
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
            }

            request.Content = new FormUrlEncodedContent(form);
            return request;
        }, ct).ConfigureAwait(false);

        var body = await ReadTokenResponse(response, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(body?.AccessToken))
        {
            if (CaselineException.IsTransientStatus(response.StatusCode))
            {
                throw new CaselineException(response.StatusCode, "The token endpoint is unavailable.");
            }

            // invalid_grant, invalid_client, a locked account: the credentials themselves are refused.
            throw new CaselineException(
                response.StatusCode, body?.ErrorDescription ?? "The credentials were refused.", body?.Error is { } error ? $"OAuth error: {error}." : null, authentication: true);
        }

        var lifetime = TimeSpan.FromSeconds(Math.Max(1, body.ExpiresIn ?? 3600));
        var margin = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 5, TimeSpan.FromMinutes(5).Ticks));
        return (body.AccessToken, options.TimeProvider.GetUtcNow() + lifetime - margin);
    }

    private static async Task<TokenResponse?> ReadTokenResponse(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentType?.MediaType is not ("application/json" or "application/problem+json"))
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.TokenResponse, ct).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }


    public void Dispose() => _renewing.Dispose();
}
