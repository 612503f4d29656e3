using System.Net;

namespace Caseline.Client;

/// <summary>
/// Every failure of a call to Caseline: an error answer (with the problem document's title, detail and
/// per-field messages), a failed logon, or a network failure. <see cref="IsTransient"/> says whether the
/// same call may succeed later unchanged. Messages name fields and rules, never the values sent.
/// </summary>
public sealed class CaselineException : Exception
{
    /// <summary>An exception for an error the server answered.</summary>
    public CaselineException(HttpStatusCode status, string title, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null, string? traceId = null, bool authentication = false)
        : base(Describe(status, title, detail, errors), null)
    {
        StatusCode = status;
        Title = title;
        Detail = detail;
        Errors = errors ?? new Dictionary<string, string[]>();
        TraceId = traceId;
        IsAuthenticationFailure = authentication;
        IsTransient = IsTransientStatus(status);
    }

    /// <summary>An exception for a call that got no answer (connection refused or reset, timeout).</summary>
    public CaselineException(string message, Exception innerException)
        : base(message, innerException)
    {
        Title = message;
        Errors = new Dictionary<string, string[]>();
        IsTransient = true;
    }

    /// <summary>The answer's status code; null when the server gave none.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The problem document's title (or, without an answer, what failed).</summary>
    public string Title { get; }

    /// <summary>The problem document's detail, when it has one.</summary>
    public string? Detail { get; }

    /// <summary>Field path → messages in the original system's wording (<c>"FirstName is required"</c>); empty unless the call was invalid.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The server's trace id of the failed request, to quote to an operator.</summary>
    public string? TraceId { get; }

    /// <summary>True when the same call may succeed later unchanged: no answer, 408, 429 or a 5xx.</summary>
    public bool IsTransient { get; }

    /// <summary>True when the credentials were refused (a failed logon, a locked account, a 401 after renewing the token, or a 403).</summary>
    public bool IsAuthenticationFailure { get; }

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static string Describe(HttpStatusCode status, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var text = $"{title} (HTTP {(int)status})";
        if (!string.IsNullOrEmpty(detail))
        {
            text += " " + detail;
        }

        if (errors is { Count: > 0 })
        {
            text += " " + string.Join("; ", errors.SelectMany(e => e.Value));
        }

        return text;
    }
}
