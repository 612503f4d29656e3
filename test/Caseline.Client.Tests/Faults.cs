using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Caseline.Client.Tests;

/// <summary>
/// Faults injected in front of the real server's pipeline: the next requests matching a rule are answered
/// with the rule's status instead of reaching the app. Every request is counted by method and path.
/// </summary>
internal sealed class Faults : IStartupFilter
{
    private readonly ConcurrentQueue<Rule> _rules = new();

    public ConcurrentDictionary<string, int> Requests { get; } = new(StringComparer.Ordinal);

    public int Count(string method, string path) => Requests.GetValueOrDefault($"{method} {path}");

    /// <summary>The next <paramref name="times"/> requests to <paramref name="path"/> get <paramref name="status"/>.</summary>
    public void Answer(string method, string path, int status, int times = 1, string? retryAfter = null) =>
        _rules.Enqueue(new Rule(method, path, status, retryAfter) { Remaining = times });

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, proceed) =>
        {
            var key = $"{context.Request.Method} {context.Request.Path}";
            Requests.AddOrUpdate(key, 1, (_, n) => n + 1);
            var rule = _rules.FirstOrDefault(r => r.Method == context.Request.Method && r.Path == context.Request.Path && Interlocked.Decrement(ref r.Remaining) >= 0);
            if (rule is null)
            {
                await proceed(context);
                return;
            }

            context.Response.StatusCode = rule.Status;
            if (rule.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = rule.RetryAfter;
            }

            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync($$"""{"title":"Injected fault","status":{{rule.Status}}}""");
        });
        next(app);
    };

    private sealed record Rule(string Method, string Path, int Status, string? RetryAfter)
    {
        public int Remaining;
    }
}
