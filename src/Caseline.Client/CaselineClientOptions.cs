using System.ComponentModel.DataAnnotations;

namespace Caseline.Client;

/// <summary>Where the server is, who the SDK is, and how patiently it retries. Every default is the one documented here.</summary>
public sealed class CaselineClientOptions
{
    /// <summary>The configuration section <c>AddCaselineClient</c> binds when given a configuration: <c>Caseline:Client</c>.</summary>
    public const string Section = "Caseline:Client";

    /// <summary>The server's address, for example <c>https://caseline.county.gov/</c>. Required.</summary>
    [Required]
    public Uri? BaseAddress { get; set; }

    /// <summary>The credentials tokens are requested with. Required.</summary>
    [Required]
    public CaselineCredentials? Credentials { get; set; }

    /// <summary>The scopes asked for; Sync and Transmit need <c>caseIntegrationApi</c>. Default <c>openid caseIntegrationApi</c>.</summary>
    public string Scope { get; set; } = "openid caseIntegrationApi";

    /// <summary>
    /// How many times one call is tried in all before its failure is thrown (default 5). Only calls that are
    /// safe to repeat are tried again after a failure that may have reached the server.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's mean wait (default 200 ms); each later one doubles it, with full jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest the SDK waits before one retry (default 30 s). A <c>Retry-After</c> longer than this is
    /// not waited out: the call fails at once with a transient <see cref="CaselineException"/>.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one HTTP request may take, a long poll's wait included (default 100 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Told before each wait for a retry: which call, what failed and how long the SDK waits (default nobody). A command
    /// line shows it, a service may log it; it runs on the calling thread, so it should be quick and must not throw.
    /// </summary>
    public Action<CaselineRetry>? OnRetry { get; set; }

    /// <summary>The clock for token expiry and retry waits (default the system's).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("CaselineClientOptions.BaseAddress must be an absolute URI.", nameof(BaseAddress));
        }

        if (Credentials is null)
        {
            throw new ArgumentException("CaselineClientOptions.Credentials must be set.", nameof(Credentials));
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentException("CaselineClientOptions.MaxAttempts must be at least 1.", nameof(MaxAttempts));
        }
    }
}

/// <summary>A retry the SDK is about to wait for.</summary>
/// <param name="Method">The request's method.</param>
/// <param name="Path">The request's path on the server (<c>/api/v1/clients/EX1</c>), without its query: a query may search by name.</param>
/// <param name="StatusCode">The answer being retried; null after a network failure or a timeout.</param>
/// <param name="Attempt">The attempt that failed, from 1.</param>
/// <param name="MaxAttempts">How many attempts the call may make in all.</param>
/// <param name="Delay">How long the SDK waits before the next attempt.</param>
/// <param name="ServerAsked">Whether <paramref name="Delay"/> is the server's <c>Retry-After</c>.</param>
public sealed record CaselineRetry(HttpMethod Method, string Path, System.Net.HttpStatusCode? StatusCode, int Attempt, int MaxAttempts, TimeSpan Delay, bool ServerAsked);
