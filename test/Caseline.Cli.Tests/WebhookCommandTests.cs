using System.Text;
using Caseline.Server.Tests;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace Caseline.Cli.Tests;

public sealed class WebhookCommandTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task Endpoints_are_created_listed_rotated_paused_and_deleted()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await using var receiver = await WebhookReceiver.StartAsync();

        var created = await user.RunAsync("webhooks", "create", "--url", receiver.Url, "--description", "CMS", "--sub-type", "Email Details", "-o", "json");
        var endpoint = created.Lines.Single();
        var id = (string)endpoint["Id"]!;
        var list = await user.RunAsync("webhooks", "list");
        var rotated = await user.RunAsync("webhooks", "rotate", id, "-o", "json");
        var disabled = await user.RunAsync("webhooks", "disable", id, "-o", "json");
        var enabled = await user.RunAsync("webhooks", "enable", id, "-o", "json");
        var deleted = await user.RunAsync("webhooks", "delete", id);
        var again = await user.RunAsync("webhooks", "delete", id);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.StartsWith("whsec_", (string)endpoint["Secret"]!, StringComparison.Ordinal);
        Assert.Contains(receiver.Url, list.Out, StringComparison.Ordinal);
        Assert.Contains("Email Details", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain((string)endpoint["Secret"]!, list.Out, StringComparison.Ordinal);
        Assert.NotEqual((string)endpoint["Secret"]!, (string)rotated.Lines.Single()["Secret"]!);
        Assert.False((bool)disabled.Lines.Single()["Enabled"]!);
        Assert.True((bool)enabled.Lines.Single()["Enabled"]!);
        Assert.Equal(0, deleted.ExitCode);
        Assert.Equal(1, again.ExitCode);
    }

    [Fact]
    public async Task A_delivery_s_attempts_are_shown_and_a_failed_one_is_retried_and_recovered()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var slowServer = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "30.00:00:00", ["Caseline:Webhooks:Lease"] = "2.00:00:00" },
            s => s.AddSingleton<TimeProvider>(clock));
        using var user = await new CliUser(slowServer).LoggedInAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => Results.StatusCode(500);
        var id = (string)(await user.RunAsync("webhooks", "create", "--url", receiver.Url, "-o", "json")).Lines.Single()["Id"]!;
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee");

        // Eight attempts over a day and more of the schedule, on the server's clock.
        for (var step = 0; step < 400 && !(await user.RunAsync("webhooks", "deliveries", id, "--state", "Failed", "-o", "json")).Out.Contains("\"Failed\"", StringComparison.Ordinal); step++)
        {
            clock.Advance(TimeSpan.FromMinutes(30));
            await Task.Delay(30, TestContext.Current.CancellationToken);
        }

        var failed = (await user.RunAsync("webhooks", "deliveries", id, "--state", "Failed", "-o", "json")).Lines.Single();
        var deliveryId = ((long)failed["Id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var attempts = await user.RunAsync("webhooks", "deliveries", id, "--delivery", deliveryId);
        receiver.Answer = _ => Results.NoContent();
        var sent = receiver.Requests.Count;
        var retry = await user.RunAsync("webhooks", "retry", id, deliveryId);
        await Harness.Until(() => receiver.Requests.Count > sent, "the retried delivery");
        var delivered = await user.RunAsync("webhooks", "deliveries", id, "--state", "Delivered", "-o", "json");
        var recovered = await user.RunAsync("webhooks", "recover", id, "--since", clock.GetUtcNow().AddDays(-7).ToString("O"), "-o", "json");
        var notFailed = await user.RunAsync("webhooks", "retry", id, deliveryId);

        Assert.Equal(8, (int)failed["Attempts"]!);
        Assert.Equal(500, (int)failed["LastStatus"]!);
        Assert.Equal(8, attempts.Out.Split('\n').Count(l => l.Contains("│ 500", StringComparison.Ordinal)));
        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Equal("C1", (string)delivered.Lines.Single()["ClientId"]!);
        Assert.Equal(0, (int)recovered.Lines.Single()["Recovered"]!);
        Assert.Equal(1, notFailed.ExitCode);
    }

    [Fact]
    public async Task Sign_and_verify_work_offline_and_agree_with_the_standard_webhooks_package()
    {
        using var user = new CliUser(server);
        const string old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const string current = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=";
        var body = user.WriteFile("body.json", """{"Client":{"IntegrationId":"EX1"}}""");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var signed = (await user.RunAsync("webhook", "sign", "--secret", old, "--secret", current, "--body", body, "--id", "msg_1", "--timestamp", now, "-o", "json")).Lines.Single();
        var signature = (string)signed["Signature"]!;
        var verified = await user.RunAsync("webhook", "verify", "--secret", current, "--id", "msg_1", "--timestamp", now, "--signature", signature, "--body", body);
        var tampered = await user.RunAsync("webhook", "verify", "--secret", current, "--id", "msg_2", "--timestamp", now, "--signature", signature, "--body", body);
        var stale = await user.RunAsync("webhook", "verify", "--secret", current, "--id", "msg_1", "--timestamp", "1000000000", "--signature", signature, "--body", body);

        // The package reads only the first signature of a header, so each is handed to it alone.
        new StandardWebhook(old).Verify(File.ReadAllText(body), Harness.Headers("msg_1", now, signature.Split(' ')[0]));
        new StandardWebhook(current).Verify(File.ReadAllText(body), Harness.Headers("msg_1", now, signature.Split(' ')[1]));
        Assert.Equal(2, signature.Split(' ').Length);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("NoMatchingSignature", tampered.Error, StringComparison.Ordinal);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("TimestampOutOfTolerance", stale.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_test_posts_a_signed_sample_and_reports_the_answer()
    {
        using var user = new CliUser(server);
        await using var receiver = await WebhookReceiver.StartAsync();
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

        var accepted = await user.RunAsync("webhook", "test", "--url", receiver.Url, "--secret", secret, "-o", "json");
        receiver.Answer = _ => Results.StatusCode(500);
        var refused = await user.RunAsync("webhook", "test", "--url", receiver.Url);
        var unreachable = await user.RunAsync("webhook", "test", "--url", "http://127.0.0.1:9/hook");

        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.Equal(204, (int)accepted.Lines.Single()["Status"]!);
        var first = receiver.Requests.First();
        new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(first.Body), Harness.Headers(first.Id, first.Timestamp, first.Signature));
        Assert.Equal("TEST-0001", Caseline.Messages.Json.MessageReader.Read(first.Body).Client.IntegrationId);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("whsec_", refused.Error, StringComparison.Ordinal);
        Assert.Equal(5, unreachable.ExitCode);
    }
}
