using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Caseline.Client.Webhooks;

namespace Caseline.Cli.Feed;

/// <summary>
/// Posts messages to a local URL as Caseline's dispatcher posts them to an endpoint: the body byte for byte,
/// signed as a Standard Webhook (<c>webhook-id</c> = the message id) with a local secret. Redirects are not followed.
/// </summary>
internal sealed class WebhookForwarder : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _secret;

    public WebhookForwarder(Uri target, string secret, TimeSpan? timeout = null)
    {
        Target = target;
        _secret = secret;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = timeout ?? TimeSpan.FromSeconds(15) };
    }

    public Uri Target { get; }

    /// <summary>Posts one body; returns the receiver's status and how long it took. A network failure throws.</summary>
    public async Task<(HttpStatusCode Status, TimeSpan Elapsed)> SendAsync(string id, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, Target) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", CaselineWebhook.Sign([_secret], id, timestamp, body.Span));
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        return (response.StatusCode, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Posts one body until the receiver answers 2xx, waiting 1 s, doubling up to 30 s, between tries; says why on each failure.</summary>
    public async Task DeliverAsync(string id, ReadOnlyMemory<byte> body, Action<string> status, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            try
            {
                var (code, _) = await SendAsync(id, body, ct).ConfigureAwait(false);
                if ((int)code is >= 200 and < 300)
                {
                    return;
                }

                failure = $"answered {(int)code}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                failure = "timed out";
            }

            var wait = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(attempt - 1, 5))));
            status(string.Create(CultureInfo.InvariantCulture, $"{Target} {failure} for message {id}; trying again in {wait.TotalSeconds:0} s"));
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();
}
