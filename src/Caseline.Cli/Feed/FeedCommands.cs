using System.CommandLine;
using System.Globalization;
using Caseline.Cli.Clients;
using Caseline.Client;
using Caseline.Client.Mirror;
using Caseline.Messages;
using Spectre.Console;

namespace Caseline.Cli.Feed;

/// <summary><c>tail</c>, <c>listen</c>, <c>replay</c> and <c>mirror</c>: the Transmit feed, pulled.</summary>
internal static class FeedCommands
{
    public static IEnumerable<Command> Build(CommandFactory commands)
    {
        yield return Tail(commands);
        yield return Listen(commands);
        yield return Replay(commands);
        yield return Mirror(commands);
    }

    private static Option<string?> ClientFilter() => new("--client") { Description = "Only this client's messages" };

    private static Option<string?> SubTypeFilter()
    {
        var option = new Option<string?>("--sub-type") { Description = "Only this section's messages, for example \"Address Details\"" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } name && Section.Find(name.Trim()) is null)
            {
                result.AddError($"--sub-type '{name}' is not a section: {string.Join(", ", Section.All.Select(s => s.Name))}.");
            }
        });
        return option;
    }

    private static FeedReadOptions Filters(Invocation run, Option<string?> client, Option<string?> subType, bool follow) => new()
    {
        ClientId = run.Get(client),
        SubType = run.Get(subType) is { } name ? Section.Find(name.Trim())!.Name : null,
        Follow = follow,
    };

    private static Command Tail(CommandFactory commands)
    {
        var after = new Option<long>("--after") { Description = "Start after this feed position (default 0: the beginning)" };
        var follow = new Option<bool>("--follow", "-F") { Description = "Keep waiting for new messages" };
        var client = ClientFilter();
        var subType = SubTypeFilter();
        return commands.Create("tail", "The feed's messages as JSON lines on standard output ({\"Position\":…,\"OwnEcho\":…,\"Message\":{…}}), status on standard error", async (run, ct) =>
        {
            var start = run.Get(after);
            if (start < 0)
            {
                throw new CliException("--after must be a feed position (0 or more).", ExitCodes.Usage);
            }

            var following = run.Get(follow);
            run.Status($"Reading the feed after position {start}{(following ? ", following (Ctrl+C stops)" : "")}.");
            long count = 0, last = start;
            await foreach (var item in run.Client.ReadFeedAsync(start, Filters(run, client, subType, following), ct).ConfigureAwait(false))
            {
                Rendering.WriteEntry(run.Host.RawOut, item);
                count++;
                last = item.Position;
            }

            run.Status(string.Create(CultureInfo.InvariantCulture, $"{count} messages; the last at position {last}."));
            return ExitCodes.Ok;
        }, after, follow, client, subType);
    }

    /// <summary><c>start</c>, <c>now</c>, or a feed position.</summary>
    private static async Task<long> StartPosition(Invocation run, string from, CancellationToken ct) => from switch
    {
        "start" => 0,
        "now" => (await run.Client.GetFeedHeadAsync(ct).ConfigureAwait(false)).Position,
        _ when long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var position) => position,
        _ => throw new CliException($"--from takes start, now or a feed position, not '{from}'.", ExitCodes.Usage),
    };

    private static Uri Target(Invocation run, Option<string?> option) =>
        Uri.TryCreate(run.Get(option), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new CliException($"--forward-to takes an http or https address, not '{run.Get(option)}'.", ExitCodes.Usage);

    private static Command Listen(CommandFactory commands)
    {
        var forwardTo = new Option<string?>("--forward-to") { Description = "The local URL each message is posted to, signed as a Standard Webhook", Required = true };
        var consumer = new Option<string>("--consumer") { Description = "The name its cursor is saved under (default 'listen')", DefaultValueFactory = _ => "listen" };
        var from = new Option<string?>("--from") { Description = "start, now or a feed position: where to begin (a new consumer begins now; an existing one resumes at its cursor unless this is given)" };
        var client = ClientFilter();
        var subType = SubTypeFilter();
        return commands.Create("listen", "Pull the feed and post each message to a local URL, saving the cursor after each one the receiver took (no tunnel, no inbound port)", async (run, ct) =>
        {
            var target = Target(run, forwardTo);
            using var listener = new Listener(run.Config.ConsumersFolder(run.ProfileName), run.Get(consumer)!);
            var isNew = !listener.Exists;
            var secret = listener.Secret();
            if (run.Get(from) is { } start)
            {
                await listener.Checkpoints.ResetAsync(listener.Name, await StartPosition(run, start, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            else if (isNew)
            {
                await listener.Checkpoints.ResetAsync(listener.Name, await StartPosition(run, "now", ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }

            run.ShowSecret($"Forwarding to {target} as consumer {listener.Name}; the receiver verifies with the signing secret:", secret);
            using var forwarder = new WebhookForwarder(target, secret);
            var failures = 0;
            while (true)
            {
                var position = await listener.Checkpoints.GetPositionAsync(listener.Name, ct).ConfigureAwait(false);
                run.Status($"Reading after position {position}.");
                try
                {
                    await foreach (var item in run.Client.ReadFeedAsync(position, Filters(run, client, subType, follow: true), ct).ConfigureAwait(false))
                    {
                        await forwarder.DeliverAsync(item.MessageId, item.Body, run.Warn, ct).ConfigureAwait(false);
                        await using (var unit = await listener.Checkpoints.BeginAsync(listener.Name, item, ct).ConfigureAwait(false))
                        {
                            await unit.CommitAsync(ct).ConfigureAwait(false);
                        }

                        run.Status($"{item.Position} {item.Message.Action.Reason} {item.Message.Client.IntegrationId} forwarded");
                        failures = 0;
                    }
                }
                catch (Exception e) when (e is HttpRequestException || (e is CaselineException { IsAuthenticationFailure: false } caseline && (caseline.IsTransient || caseline.StatusCode is null)))
                {
                    // The server is away (a restart, a laptop waking up): wait, then resume at the cursor.
                    var wait = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures++, 5))));
                    run.Warn(string.Create(CultureInfo.InvariantCulture, $"reading the feed failed ({e.Message}); trying again in {wait.TotalSeconds:0} s"));
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
            }
        }, forwardTo, consumer, from, client, subType);
    }

    private static Command Replay(CommandFactory commands)
    {
        var from = new Option<long>("--from") { Description = "The first feed position to replay", Required = true };
        var to = new Option<long?>("--to") { Description = "The last position to replay (default: the feed's last position now)" };
        var forwardTo = new Option<string?>("--forward-to") { Description = "Post each message to this URL, signed, with its original id" };
        var print = new Option<bool>("--print") { Description = "Write each message as a JSON line on standard output instead" };
        var secret = new Option<string?>("--secret") { Description = "The whsec_ secret to sign with (default: a new one, shown)" };
        var client = ClientFilter();
        var subType = SubTypeFilter();
        return commands.Create("replay", "Send a range of the feed again, keeping the messages' original ids (webhook-id), or print it", async (run, ct) =>
        {
            if (run.Get(print) == (run.Get(forwardTo) is not null))
            {
                throw new CliException("Give one of --forward-to <url> or --print.", ExitCodes.Usage);
            }

            var first = run.Get(from);
            var last = run.Get(to) ?? (await run.Client.GetFeedHeadAsync(ct).ConfigureAwait(false)).Position;
            if (first < 1 || last < first)
            {
                throw new CliException("--from must be a position (1 or more) and --to at least --from.", ExitCodes.Usage);
            }

            using var forwarder = run.Get(print) ? null : new WebhookForwarder(Target(run, forwardTo), run.Get(secret) ?? NewSecret(run));
            var count = 0;
            await foreach (var item in run.Client.ReadFeedAsync(first - 1, Filters(run, client, subType, follow: false), ct).ConfigureAwait(false))
            {
                if (item.Position > last)
                {
                    break;
                }

                if (forwarder is null)
                {
                    Rendering.WriteEntry(run.Host.RawOut, item);
                }
                else
                {
                    await forwarder.DeliverAsync(item.MessageId, item.Body, run.Warn, ct).ConfigureAwait(false);
                    run.Status($"{item.Position} {item.Message.Action.Reason} {item.Message.Client.IntegrationId} forwarded");
                }

                count++;
            }

            run.Status(string.Create(CultureInfo.InvariantCulture, $"Replayed {count} messages from position {first} to {last}."));
            return ExitCodes.Ok;
        }, from, to, forwardTo, print, secret, client, subType);

        static string NewSecret(Invocation run)
        {
            var made = Caseline.Client.Webhooks.CaselineWebhook.NewSecret();
            run.ShowSecret("Signing with a new secret:", made);
            return made;
        }
    }

    private static Command Mirror(CommandFactory commands)
    {
        var db = new Option<string>("--db") { Description = "The SQLite file of the mirror (made if missing)", Required = true };
        var follow = new Option<bool>("--follow", "-F") { Description = "Keep applying new messages" };
        var rebuild = new Option<bool>("--rebuild") { Description = "Start again from the beginning of the feed" };
        return commands.Create("mirror", "Keep a local SQLite copy of every current profile, from the feed (the SDK's ProfileMirror)", async (run, ct) =>
        {
            using var mirror = ProfileMirror.Open(run.Get(db)!);
            run.Status($"Mirror after position {mirror.Position}{(run.Get(follow) ? ", following (Ctrl+C stops)" : "")}.");
            var applied = run.Get(rebuild) ? await mirror.RebuildAsync(run.Client, ct).ConfigureAwait(false) : 0;
            if (!run.Get(rebuild) || run.Get(follow))
            {
                applied += await mirror.CatchUpAsync(run.Client, run.Get(follow), ct).ConfigureAwait(false);
            }

            var state = new MirrorState(run.Get(db)!, mirror.Position, mirror.ClientIds().Count, applied);
            if (run.Json)
            {
                run.WriteJson(state, CliJsonContext.Default.MirrorState);
            }
            else
            {
                run.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{state.Db}: {state.Clients} clients, up to feed position {state.Position} ({applied} messages applied now)."));
            }

            return ct.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
        }, db, follow, rebuild);
    }
}

/// <summary>What <c>mirror</c> reports: the file, the position it is up to, how many clients it holds, how many messages this run applied.</summary>
internal sealed record MirrorState(string Db, long Position, int Clients, long Applied);
