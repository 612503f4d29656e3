using System.CommandLine;
using System.Globalization;
using System.Text;
using Caseline.Cli.Feed;
using Caseline.Client.Webhooks;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Cli.Webhooks;

/// <summary><c>webhooks …</c> manages the agency's endpoints on the server; <c>webhook verify|sign|test</c> work locally.</summary>
internal static class WebhookCommands
{
    public static IEnumerable<Command> Build(CommandFactory commands)
    {
        yield return CommandFactory.Group("webhooks", "The agency's webhook endpoints and their deliveries",
            List(commands), Create(commands), Rotate(commands), Enable(commands, true), Enable(commands, false), Delete(commands),
            Deliveries(commands), Retry(commands), Recover(commands));
        yield return CommandFactory.Group("webhook", "Standard Webhooks signatures, offline, and a test delivery to a URL",
            Verify(commands), Sign(commands), Test(commands));
    }

    private static Argument<string> EndpointId() => new("endpoint") { Description = "The endpoint's id" };

    private static void Write(Invocation run, IReadOnlyList<WebhookEndpoint> endpoints)
    {
        if (run.Json)
        {
            foreach (var endpoint in endpoints)
            {
                run.WriteJson(endpoint, CliJsonContext.Default.WebhookEndpoint);
            }

            return;
        }

        var table = Tables.Of("Id", "Url", "Sections", "Enabled", "Last success", "Failing since");
        foreach (var e in endpoints)
        {
            table.Row(e.Id, e.Url, e.SubTypes is { Count: > 0 } s ? string.Join(", ", s) : "all", e.Enabled ? "yes" : "no" + (e.DisabledReason is { } why ? $" ({why})" : ""),
                Time(e.LastSuccessAt), Time(e.FailingSince));
        }

        run.Write(table);
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    private static Command List(CommandFactory commands) =>
        commands.Create("list", "The agency's endpoints", async (run, ct) =>
        {
            Write(run, await run.Client.ListWebhooksAsync(ct).ConfigureAwait(false));
            return ExitCodes.Ok;
        });

    private static Command Create(CommandFactory commands)
    {
        var url = new Option<string>("--url") { Description = "Where Caseline posts each message", Required = true };
        var description = new Option<string?>("--description") { Description = "A note for administrators" };
        var subTypes = new Option<string[]>("--sub-type") { Description = "A section to send (repeatable; default: all)" };
        return commands.Create("create", "Register an endpoint; its signing secret is shown once, now", async (run, ct) =>
        {
            var created = await run.Client.CreateWebhookAsync(new WebhookEndpointRequest(run.Get(url)!, run.Get(description), run.Get(subTypes) is { Length: > 0 } s ? s : null), ct).ConfigureAwait(false);
            Write(run, [created]);
            if (!run.Json)
            {
                run.WriteLine($"Signing secret (shown only now): {created.Secret}");
            }

            return ExitCodes.Ok;
        }, url, description, subTypes);
    }

    private static Command Rotate(CommandFactory commands)
    {
        var id = EndpointId();
        return commands.Create("rotate", "Issue a new signing secret; both sign deliveries until the old one expires", async (run, ct) =>
        {
            var rotated = await run.Client.RotateWebhookSecretAsync(run.Required(id), ct).ConfigureAwait(false);
            if (run.Json)
            {
                run.WriteJson(rotated, CliJsonContext.Default.RotatedSecret);
            }
            else
            {
                run.WriteLine($"New signing secret (shown only now): {rotated.Secret}");
                run.WriteLine($"The previous secret signs beside it until {Time(rotated.PreviousSecretExpiresAt)}.");
            }

            return ExitCodes.Ok;
        }, id);
    }

    private static Command Enable(CommandFactory commands, bool enable)
    {
        var id = EndpointId();
        return commands.Create(enable ? "enable" : "disable", enable ? "Resume sending to an endpoint (and clear why it was disabled)" : "Pause sending to an endpoint; deliveries wait", async (run, ct) =>
        {
            var endpoint = await run.Client.GetWebhookAsync(run.Required(id), ct).ConfigureAwait(false)
                ?? throw new CliException($"There is no endpoint {run.Required(id)}.");
            var updated = await run.Client.UpdateWebhookAsync(endpoint.Id, new WebhookEndpointRequest(endpoint.Url, endpoint.Description, endpoint.SubTypes, enable), ct).ConfigureAwait(false);
            Write(run, [updated]);
            return ExitCodes.Ok;
        }, id);
    }

    private static Command Delete(CommandFactory commands)
    {
        var id = EndpointId();
        return commands.Create("delete", "Remove an endpoint and its open deliveries", async (run, ct) =>
        {
            if (!await run.Client.DeleteWebhookAsync(run.Required(id), ct).ConfigureAwait(false))
            {
                throw new CliException($"There is no endpoint {run.Required(id)}.");
            }

            run.Status($"Removed endpoint {run.Required(id)}.");
            return ExitCodes.Ok;
        }, id);
    }

    private static Command Deliveries(CommandFactory commands)
    {
        var id = EndpointId();
        var state = new Option<string?>("--state") { Description = "Pending, InFlight, Retrying, Delivered or Failed" };
        state.AcceptOnlyFromAmong("Pending", "InFlight", "Retrying", "Delivered", "Failed");
        var delivery = new Option<long?>("--delivery") { Description = "One delivery, with every attempt" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 100)", DefaultValueFactory = _ => 100 };
        return commands.Create("deliveries", "An endpoint's deliveries, newest first, or one delivery's attempts", async (run, ct) =>
        {
            var endpoint = run.Required(id);
            if (run.Get(delivery) is { } one)
            {
                var found = await run.Client.GetDeliveryAsync(endpoint, one, ct).ConfigureAwait(false) ?? throw new CliException($"Endpoint {endpoint} has no delivery {one}.");
                if (run.Json)
                {
                    run.WriteJson(found, CliJsonContext.Default.Delivery);
                    return ExitCodes.Ok;
                }

                var attempts = Tables.Of("Attempt", "At", "Status", "Latency (ms)", "Error");
                foreach (var a in found.AttemptLog ?? [])
                {
                    attempts.Row(a.Attempt.ToString(CultureInfo.InvariantCulture), Time(a.At), a.StatusCode?.ToString(CultureInfo.InvariantCulture), a.LatencyMs.ToString("0", CultureInfo.InvariantCulture), a.Error);
                }

                run.Write(attempts);
                return ExitCodes.Ok;
            }

            var table = Tables.Of("Delivery", "Position", "Client", "State", "Attempts", "Last status", "Next attempt", "Last error");
            var count = 0;
            await foreach (var d in run.Client.GetDeliveriesAsync(endpoint, run.Get(state), Math.Clamp(run.Get(limit), 1, 500), ct).ConfigureAwait(false))
            {
                if (run.Json)
                {
                    run.WriteJson(d, CliJsonContext.Default.Delivery);
                }
                else
                {
                    table.Row(d.Id.ToString(CultureInfo.InvariantCulture), d.Position.ToString(CultureInfo.InvariantCulture), d.ClientId, d.State,
                        d.Attempts.ToString(CultureInfo.InvariantCulture), d.LastStatus?.ToString(CultureInfo.InvariantCulture), Time(d.NextAttemptAt), d.LastError);
                }

                if (++count >= run.Get(limit))
                {
                    break;
                }
            }

            if (!run.Json)
            {
                run.Write(table);
            }

            return ExitCodes.Ok;
        }, id, state, delivery, limit);
    }

    private static Command Retry(CommandFactory commands)
    {
        var id = EndpointId();
        var delivery = new Argument<long>("delivery") { Description = "The failed delivery's id" };
        return commands.Create("retry", "Send a failed delivery again", async (run, ct) =>
        {
            await run.Client.RetryDeliveryAsync(run.Required(id), run.Required(delivery), ct).ConfigureAwait(false);
            run.Status($"Delivery {run.Required(delivery)} is queued again.");
            return ExitCodes.Ok;
        }, id, delivery);
    }

    private static Command Recover(CommandFactory commands)
    {
        var id = EndpointId();
        var since = new Option<DateTimeOffset>("--since") { Description = "Every delivery that failed since this instant (ISO 8601)", Required = true };
        return commands.Create("recover", "Send again every delivery that failed since an instant", async (run, ct) =>
        {
            var recovered = await run.Client.RecoverDeliveriesAsync(run.Required(id), run.Get(since), ct).ConfigureAwait(false);
            if (run.Json)
            {
                run.WriteJson(new RecoverReport(recovered), CliJsonContext.Default.RecoverReport);
            }
            else
            {
                run.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{recovered} failed deliveries queued again."));
            }

            return ExitCodes.Ok;
        }, id, since);
    }

    private static Option<string[]> Secrets(string description) => new("--secret") { Description = description, Required = true };

    private static Option<string> Body() => new("--body") { Description = "The file holding the body exactly as sent ('-': standard input)", Required = true };

    private static byte[] ReadBody(Invocation run, Option<string> option)
    {
        var path = run.Get(option)!;
        return path == "-" ? Encoding.UTF8.GetBytes(run.Host.In.ReadToEnd()) : File.ReadAllBytes(path);
    }

    private static Command Verify(CommandFactory commands)
    {
        var secrets = Secrets("An endpoint secret (whsec_…); repeat it to accept either of two during a rotation");
        var id = new Option<string>("--id") { Description = "The webhook-id header", Required = true };
        var timestamp = new Option<string>("--timestamp") { Description = "The webhook-timestamp header", Required = true };
        var signature = new Option<string>("--signature") { Description = "The webhook-signature header", Required = true };
        var body = Body();
        var tolerance = new Option<int>("--tolerance") { Description = "Seconds the timestamp may be from now (default 300; 0: any age, for a saved delivery)", DefaultValueFactory = _ => 300 };
        return commands.Create("verify", "Check a delivery's signature as a receiver would (exit 0 when it verifies, 1 when not)", (run, _) =>
        {
            var bytes = ReadBody(run, body);
            var window = run.Get(tolerance) == 0 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(run.Get(tolerance));
            try
            {
                var verified = CaselineWebhook.Verify(run.Get(secrets)!, run.Get(id), run.Get(timestamp), run.Get(signature), bytes, tolerance: window);
                run.WriteLine($"Verified: delivery {verified.Id}, signed at {Time(verified.Timestamp)}.");
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (WebhookVerificationException e)
            {
                throw new CliException($"Not verified ({e.Failure}): {e.Message}");
            }
        }, secrets, id, timestamp, signature, body, tolerance);
    }

    private static Command Sign(CommandFactory commands)
    {
        var secrets = Secrets("The secret (whsec_…) to sign with; repeat it to sign with two, as during a rotation");
        var body = Body();
        var id = new Option<string?>("--id") { Description = "The webhook-id (default: a new UUID)" };
        var timestamp = new Option<long?>("--timestamp") { Description = "The webhook-timestamp in Unix seconds (default: now)" };
        return commands.Create("sign", "The three Standard Webhooks headers for a body, as Caseline would send them", (run, _) =>
        {
            var headers = new SignedHeaders(
                run.Get(id) ?? Guid.CreateVersion7().ToString("D"), run.Get(timestamp) ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "");
            headers = headers with { Signature = CaselineWebhook.Sign(run.Get(secrets)!, headers.Id, headers.Timestamp, ReadBody(run, body)) };
            if (run.Json)
            {
                run.WriteJson(headers, CliJsonContext.Default.SignedHeaders);
            }
            else
            {
                run.WriteLine($"webhook-id: {headers.Id}");
                run.WriteLine(string.Create(CultureInfo.InvariantCulture, $"webhook-timestamp: {headers.Timestamp}"));
                run.WriteLine($"webhook-signature: {headers.Signature}");
            }

            return Task.FromResult(ExitCodes.Ok);
        }, secrets, body, id, timestamp);
    }

    private static Command Test(CommandFactory commands)
    {
        var url = new Option<string>("--url") { Description = "The receiver to send a test message to", Required = true };
        var secret = new Option<string?>("--secret") { Description = "The secret to sign with (default: a new one, shown)" };
        return commands.Create("test", "Post one signed sample message (client TEST-0001) to a URL and report how it answered", async (run, ct) =>
        {
            if (!Uri.TryCreate(run.Get(url), UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
            {
                throw new CliException($"--url takes an http or https address, not '{run.Get(url)}'.", ExitCodes.Usage);
            }

            var signingSecret = run.Get(secret) ?? CaselineWebhook.NewSecret();
            if (run.Get(secret) is null)
            {
                run.ShowSecret("Signing with a new secret:", signingSecret);
            }

            var message = ClientMessage.Create("TEST-0001", new PersonalDetails("Test", "Message", null, null, null, null, null, null), ChangeVerb.Updated, DateTimeOffset.UtcNow, "caseline webhook test");
            using var forwarder = new WebhookForwarder(target, signingSecret);
            var (status, elapsed) = await forwarder.SendAsync(message.Activity.Identifier.ToString("D"), MessageWriter.ToUtf8Bytes(message), ct).ConfigureAwait(false);
            var ok = (int)status is >= 200 and < 300;
            var report = new TestReport(target.ToString(), (int)status, Math.Round(elapsed.TotalMilliseconds, 1), ok);
            if (run.Json)
            {
                run.WriteJson(report, CliJsonContext.Default.TestReport);
            }
            else
            {
                run.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target} answered {(int)status} in {elapsed.TotalMilliseconds:0} ms: {(ok ? "accepted" : "refused")}."));
            }

            return ok ? ExitCodes.Ok : ExitCodes.Error;
        }, url, secret);
    }
}

/// <summary>How many failed deliveries <c>webhooks recover</c> queued again.</summary>
internal sealed record RecoverReport(int Recovered);

/// <summary>The headers <c>webhook sign</c> makes.</summary>
internal sealed record SignedHeaders(string Id, long Timestamp, string Signature);

/// <summary>How a receiver answered <c>webhook test</c>.</summary>
internal sealed record TestReport(string Url, int Status, double LatencyMs, bool Accepted);
