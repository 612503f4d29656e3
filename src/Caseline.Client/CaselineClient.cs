using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Caseline.Client.Http;

namespace Caseline.Client;

/// <summary>
/// The Caseline SDK's entry point: typed Sync calls, the Transmit feed, and bulk sync, over one
/// <see cref="HttpClient"/>. It is thread-safe and meant to live as long as the application (register it
/// with <c>services.AddCaselineClient(...)</c>, or build one from <see cref="CaselineClientOptions"/>).
/// <para>
/// Every call carries a bearer token, fetched and renewed before it expires; a 401 renews it once. Calls
/// that are safe to repeat (reads, <c>PUT</c>, <c>DELETE</c>) are retried with jittered exponential backoff
/// on network errors, 408, 429 and 5xx, honouring <c>Retry-After</c>; a call that is not (creating a client,
/// uploading a bulk sync) is retried only when it cannot have reached the server: a refused connection or 429.
/// Failures are thrown as <see cref="CaselineException"/>.
/// </para>
/// </summary>
public sealed partial class CaselineClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly CaselineClientOptions _options;
    private readonly TokenCache _tokens;

    /// <summary>A client with its own connection pool.</summary>
    public CaselineClient(CaselineClientOptions options)
        : this(new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false }), options, ownsHttp: true)
    {
    }

    /// <summary>A client over an <see cref="HttpClient"/> the caller owns (from <c>IHttpClientFactory</c>, say); its base address and timeout are set from <paramref name="options"/>.</summary>
    public CaselineClient(HttpClient http, CaselineClientOptions options)
        : this(http, options, ownsHttp: false)
    {
    }

    private CaselineClient(HttpClient http, CaselineClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _http = http;
        _ownsHttp = ownsHttp;
        var address = options.BaseAddress!.AbsoluteUri;
        _http.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        _http.Timeout = options.RequestTimeout;
        _tokens = new TokenCache(options, (create, ct) => SendAsync(create, Retry.Idempotent, authorize: false, ct));
    }

    /// <summary>The server's address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The API client id the SDK signs in with.</summary>
    public string ClientId => _options.Credentials!.ClientId;

    /// <summary>How many access tokens this client has requested so far.</summary>
    public int TokensRequested => _tokens.Requested;

    /// <inheritdoc />
    public void Dispose()
    {
        _tokens.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>Which failures a call may be tried again after.</summary>
    internal enum Retry
    {
        /// <summary>Safe to repeat: any transient failure.</summary>
        Idempotent,

        /// <summary>Not safe to repeat: only failures that prove the server did not act (no connection, 429).</summary>
        NotIdempotent,

        /// <summary>Sent once: its body is a stream that cannot be read again (a bulk upload).</summary>
        Never,
    }

    /// <summary>
    /// Sends a request made by <paramref name="create"/> (called again for each attempt) and returns the
    /// final answer, which may be an error answer: the caller decides what an error means.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, Retry retry, bool authorize, CancellationToken ct)
    {
        var renewed = false;
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            string? token = null;
            if (authorize)
            {
                token = await _tokens.GetAsync(ct).ConfigureAwait(false);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested)
            {
                // A refused connection never reached the server, so even a create may go again.
                var unsent = e.HttpRequestError == HttpRequestError.ConnectionError;
                if (attempt < _options.MaxAttempts && (retry == Retry.Idempotent || (unsent && retry == Retry.NotIdempotent)))
                {
                    await WaitAsync(request, null, attempt, Backoff(attempt), serverAsked: false, ct).ConfigureAwait(false);
                    continue;
                }

                throw new CaselineException($"{request.Method} {request.RequestUri} failed: {e.HttpRequestError}.", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                if (attempt < _options.MaxAttempts && retry == Retry.Idempotent)
                {
                    await WaitAsync(request, null, attempt, Backoff(attempt), serverAsked: false, ct).ConfigureAwait(false);
                    continue;
                }

                throw new CaselineException($"{request.Method} {request.RequestUri} timed out after {_http.Timeout.TotalSeconds:0} s.", e);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && token is not null && !renewed && retry != Retry.Never)
            {
                // The token expired early or the server forgot it (a key rotation): renew once, then believe the answer.
                renewed = true;
                _tokens.Invalidate(token);
                response.Dispose();
                attempt--;
                continue;
            }

            var transient = CaselineException.IsTransientStatus(response.StatusCode);
            var repeatable = retry == Retry.Idempotent || (retry == Retry.NotIdempotent && response.StatusCode == HttpStatusCode.TooManyRequests);
            if (transient && repeatable && attempt < _options.MaxAttempts)
            {
                var asked = RetryAfter(response);
                var wait = asked ?? Backoff(attempt);
                if (wait <= _options.MaxRetryDelay)
                {
                    var status = response.StatusCode;
                    response.Dispose();
                    await WaitAsync(request, status, attempt, wait, asked is not null, ct).ConfigureAwait(false);
                    continue;
                }
            }

            return response;
        }
    }

    /// <summary>Sends with a token and throws the answer's problem unless it succeeded (or is one of <paramref name="allowed"/>).</summary>
    internal async Task<HttpResponseMessage> SendCheckedAsync(Func<HttpRequestMessage> create, Retry retry, CancellationToken ct, params HttpStatusCode[] allowed)
    {
        var response = await SendAsync(create, retry, authorize: true, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || allowed.Contains(response.StatusCode))
        {
            return response;
        }

        using (response)
        {
            throw await ProblemAsync(response, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The exception an error answer stands for, from its problem document when it has one.</summary>
    internal static async Task<CaselineException> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ProblemDocument? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.ProblemDocument, ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not a problem document after all: the status speaks alone.
            }
        }

        var authentication = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
        return new CaselineException(
            response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? response.StatusCode.ToString(), problem?.Detail, problem?.Errors, problem?.TraceId, authentication);
    }

    private Task WaitAsync(HttpRequestMessage request, HttpStatusCode? status, int attempt, TimeSpan wait, bool serverAsked, CancellationToken ct)
    {
        var path = request.RequestUri is { IsAbsoluteUri: true } sent ? sent.AbsolutePath : "/" + request.RequestUri?.OriginalString.Split('?')[0];
        _options.OnRetry?.Invoke(new CaselineRetry(request.Method, path, status, attempt, _options.MaxAttempts, wait, serverAsked));
        return Task.Delay(wait, _options.TimeProvider, ct);
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: full jitter over an exponentially growing ceiling.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * 2);
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    /// <summary><c>Retry-After</c> as seconds or as an HTTP date, or null when the answer has none.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _options.TimeProvider.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
