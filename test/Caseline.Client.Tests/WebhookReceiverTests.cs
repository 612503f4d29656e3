using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Client.Webhooks;
using Caseline.Messages;
using Caseline.Server.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Caseline.Client.Tests;

/// <summary>The webhook verifier and the receiver endpoint, with real signed deliveries from the real server.</summary>
public sealed class WebhookReceiverTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_mapped_receiver_verifies_real_deliveries_handles_each_once_and_answers_as_caselines_retries_need()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var handled = new ConcurrentQueue<WebhookMessage>();
        var failFirst = 1;
        await using var receiver = await Receiver.StartAsync((message, _) =>
        {
            // The first delivery fails once: Caseline must send it again, and the handler then gets it.
            if (Interlocked.Exchange(ref failFirst, 0) == 1)
            {
                throw new InvalidOperationException("the CMS is down");
            }

            handled.Enqueue(message);
            return Task.CompletedTask;
        });
        var endpoint = (await (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        var secret = (string)endpoint["Secret"]!;
        receiver.Secrets.Add(secret);

        using var sdk = await Sdk.For(server, agency);
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "1 Main St"), Ct);
        await Sdk.Until(() => handled.Count == 2, "both messages handled", seconds: 60);

        var log = server.Log(agency);
        Assert.Equal(log.Select(m => m.Body), handled.Select(m => m.Body.ToArray()));
        Assert.Equal(log.Select(m => m.Message.Activity.Identifier.ToString("D")), handled.Select(m => m.Id));

        // A redelivery of a handled message is acknowledged without handling it again.
        using var direct = new HttpClient();
        var first = handled.First();
        Assert.Equal(HttpStatusCode.OK, (await direct.SendAsync(Signed(receiver.Url, secret, first.Id, first.Body.ToArray()), Ct)).StatusCode);
        Assert.Equal(2, handled.Count);

        // Forged, stale and malformed deliveries.
        var forged = Signed(receiver.Url, CaselineWebhook.NewSecret(), "msg_forged", first.Body.ToArray());
        Assert.Equal(HttpStatusCode.Unauthorized, (await direct.SendAsync(forged, Ct)).StatusCode);
        var stale = Signed(receiver.Url, secret, "msg_stale", first.Body.ToArray(), DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await direct.SendAsync(stale, Ct)).StatusCode);
        var junk = Signed(receiver.Url, secret, "msg_junk", """{"hello":"world"}"""u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await direct.SendAsync(junk, Ct)).StatusCode);
        Assert.Equal(2, handled.Count);
    }

    [Fact]
    public async Task Endpoints_and_their_deliveries_are_managed_through_the_sdk()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(server, agency);
        var handled = new ConcurrentQueue<WebhookMessage>();
        await using var receiver = await Receiver.StartAsync((message, _) =>
        {
            handled.Enqueue(message);
            return Task.CompletedTask;
        });

        var endpoint = await sdk.CreateWebhookAsync(new WebhookEndpointRequest(receiver.Url, "CMS", ["Email Details"]), Ct);
        Assert.StartsWith("whsec_", endpoint.Secret, StringComparison.Ordinal);
        receiver.Secrets.Add(endpoint.Secret!);
        Assert.Equal([endpoint.Id], (await sdk.ListWebhooksAsync(Ct)).Select(e => e.Id));
        Assert.Null((await sdk.GetWebhookAsync(endpoint.Id, Ct))!.Secret);

        await sdk.PutClientAsync("EX1", new ClientSections(new PersonalDetails("Ann", "Lee", null, null, null, null, null, null), Email: new EmailDetails("a@b.co")), Ct);
        await Sdk.Until(() => handled.Count == 1, "the email message delivered");
        var delivery = Assert.Single(await sdk.GetDeliveriesAsync(endpoint.Id, "Delivered", cancellationToken: Ct).ToListAsync());
        Assert.Equal((2L, "EX1"), (delivery.Position, delivery.ClientId));
        Assert.Equal(204, Assert.Single((await sdk.GetDeliveryAsync(endpoint.Id, delivery.Id, Ct))!.AttemptLog!).StatusCode);
        Assert.Empty(await sdk.GetDeliveriesAsync(endpoint.Id, "Failed", cancellationToken: Ct).ToListAsync());

        Assert.Equal(HttpStatusCode.Conflict, (await Assert.ThrowsAsync<CaselineException>(() => sdk.RetryDeliveryAsync(endpoint.Id, delivery.Id, Ct))).StatusCode);
        Assert.Equal(0, await sdk.RecoverDeliveriesAsync(endpoint.Id, DateTimeOffset.UtcNow.AddDays(-1), Ct));
        var rotated = await sdk.RotateWebhookSecretAsync(endpoint.Id, Ct);
        Assert.NotEqual(endpoint.Secret, rotated.Secret);
        Assert.False((await sdk.UpdateWebhookAsync(endpoint.Id, new WebhookEndpointRequest(receiver.Url, Enabled: false), Ct)).Enabled);

        Assert.True(await sdk.DeleteWebhookAsync(endpoint.Id, Ct));
        Assert.False(await sdk.DeleteWebhookAsync(endpoint.Id, Ct));
        Assert.Null(await sdk.GetWebhookAsync(endpoint.Id, Ct));
    }

    [Fact]
    public void Signatures_agree_with_the_standard_webhooks_package_both_ways()
    {
        var secret = CaselineWebhook.NewSecret();
        var body = """{"Client":{"IntegrationId":"EX1"},"Activity":{"Identifier":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","Type":"ClientProfile"}}""";
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var package = new StandardWebhook(secret);

        var theirs = package.Sign("msg_1", now, body);
        Assert.Equal("msg_1", CaselineWebhook.Verify([secret], "msg_1", timestamp, theirs, Encoding.UTF8.GetBytes(body)).Id);

        var ours = CaselineWebhook.Sign([secret], "msg_2", now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body));
        package.Verify(body, new HeaderDictionary { ["webhook-id"] = "msg_2", ["webhook-timestamp"] = timestamp, ["webhook-signature"] = ours });
    }

    [Fact]
    public void During_a_rotation_any_of_the_secrets_verifies_and_tampering_or_age_never_does()
    {
        var (old, @new) = (CaselineWebhook.NewSecret(), CaselineWebhook.NewSecret());
        var body = "{}"u8.ToArray();
        var now = DateTimeOffset.UtcNow;
        var seconds = now.ToUnixTimeSeconds();
        var both = CaselineWebhook.Sign([@new, old], "msg", seconds, body);

        CaselineWebhook.Verify([old], "msg", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), both, body);
        CaselineWebhook.Verify([@new], "msg", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), both, body);
        CaselineWebhook.Verify([old, @new], "msg", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), CaselineWebhook.Sign([old], "msg", seconds, body), body);

        Assert.Equal(WebhookFailure.NoMatchingSignature, Refused(() => CaselineWebhook.Verify([old], "msg", $"{seconds}", both, "{ }"u8.ToArray())));
        Assert.Equal(WebhookFailure.NoMatchingSignature, Refused(() => CaselineWebhook.Verify([old], "other", $"{seconds}", both, body)));
        Assert.Equal(WebhookFailure.TimestampOutOfTolerance, Refused(() => CaselineWebhook.Verify([old], "msg", $"{seconds}", both, body, now.AddMinutes(5).AddSeconds(1))));
        Assert.Equal(WebhookFailure.InvalidTimestamp, Refused(() => CaselineWebhook.Verify([old], "msg", "soon", both, body)));
        Assert.Equal(WebhookFailure.MissingHeaders, Refused(() => CaselineWebhook.Verify([old], null, $"{seconds}", both, body)));
        Assert.Equal(WebhookFailure.NoMatchingSignature, Refused(() => CaselineWebhook.Verify([old], "msg", $"{seconds}", "v1,not-base64 v2,abc", body)));

        static WebhookFailure Refused(Action verify) => Assert.Throws<WebhookVerificationException>(verify).Failure;
    }

    private static HttpRequestMessage Signed(string url, string secret, string id, byte[] body, DateTimeOffset? at = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", CaselineWebhook.Sign([secret], id, timestamp, body));
        return request;
    }

    /// <summary>A CMS's receiver on loopback: an app with <c>MapCaselineWebhook</c>. Its secrets are read per delivery, so one can be added once the endpoint is registered.</summary>
    private sealed class Receiver(WebApplication app, string url, IList<string> secrets) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public IList<string> Secrets { get; } = secrets;

        public static async Task<Receiver> StartAsync(Func<WebhookMessage, CancellationToken, Task> handler)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            IList<string> secrets = null!;
            app.MapCaselineWebhook("/hook", handler, options =>
            {
                options.Secrets.Add(CaselineWebhook.NewSecret()); // the receiver's own until Caseline gives it one
                secrets = options.Secrets;
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Receiver(app, address + "/hook", secrets);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
