using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Caseline.Server.Tests;

/// <summary>A webhook receiver on loopback: it records every request and answers as the test says.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>How to answer a request; 204 unless the test says otherwise.</summary>
    public Func<Received, IResult> Answer { get; set; } = _ => Results.NoContent();

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var received = new Received(
                request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(),
                request.Headers["webhook-signature"].ToString(), body.ToArray(), DateTimeOffset.UtcNow);
            receiver.Requests.Enqueue(received);
            return receiver.Answer(received);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>An answer given after <paramref name="delay"/>, awaited rather than blocking a thread (a slow receiver).</summary>
    public static IResult After(TimeSpan delay, IResult answer) => new Delayed(delay, answer);

    private sealed class Delayed(TimeSpan delay, IResult answer) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await Task.Delay(delay, httpContext.RequestAborted);
            await answer.ExecuteAsync(httpContext);
        }
    }

    public sealed record Received(string Id, string Timestamp, string Signature, byte[] Body, DateTimeOffset At);
}
