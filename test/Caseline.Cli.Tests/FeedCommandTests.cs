using System.Text;
using Caseline.Server.Tests;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace Caseline.Cli.Tests;

public sealed class FeedCommandTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static async Task WriteAsync(CliUser user, string client, int addresses)
    {
        var put = await user.RunAsync("clients", "put", client, "--set", "FirstName=Ann", "--set", "LastName=Lee");
        Assert.True(put.ExitCode == 0, put.ToString());
        for (var i = 0; i < addresses; i++)
        {
            Assert.Equal(0, (await user.RunAsync("items", "put", client, "addresses", $"A{i}", "--set", "AddressType=Home", "--set", $"Address={i} Main St")).ExitCode);
        }
    }

    private static HeaderDictionary Headers(WebhookReceiver.Received r) => Harness.Headers(r.Id, r.Timestamp, r.Signature);

    [Fact]
    public async Task Tail_writes_json_lines_byte_for_byte_and_filters_and_starts_after_a_position()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 2);
        await WriteAsync(user, "C2", 1);

        var all = await user.RunAsync("tail");
        var after = await user.RunAsync("tail", "--after", "3");
        var c2 = await user.RunAsync("tail", "--client", "C2", "--sub-type", "address details");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal([1L, 2, 3, 4, 5], all.Lines.Select(l => (long)l["Position"]!));
        var log = server.Log(user.Agency);
        Assert.All(all.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Zip(log), pair =>
            Assert.EndsWith(",\"Message\":" + Encoding.UTF8.GetString(pair.Second.Body) + "}", pair.First, StringComparison.Ordinal));
        Assert.Contains("5 messages; the last at position 5.", all.Error, StringComparison.Ordinal);
        Assert.Equal([4L, 5], after.Lines.Select(l => (long)l["Position"]!));
        Assert.Equal([5L], c2.Lines.Select(l => (long)l["Position"]!));
    }

    /// <summary>Whether a console being written has shown <paramref name="text"/>; a read that races a write just says not yet.</summary>
    private static bool Shows(Spectre.Console.Testing.TestConsole console, string text)
    {
        try
        {
            return console.Output.Contains(text, StringComparison.Ordinal);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Tail_follow_long_polls_for_new_messages_until_interrupted_with_exit_130()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 0);
        using var stop = new CancellationTokenSource();

        var tail = user.RunAsync(null, stop.Token, "tail", "--follow");
        var output = user.Output!;
        await Harness.Until(() => Shows(output, "\"Position\":1"), "the first message");
        await WriteAsync(user, "C2", 0);
        await Harness.Until(() => Shows(output, "\"Position\":2"), "the second message, long-polled");
        await stop.CancelAsync();
        var result = await tail;

        Assert.Equal(130, result.ExitCode);
        Assert.Equal([1L, 2], result.Lines.Select(l => (long)l["Position"]!));
    }

    [Fact]
    public async Task Replay_prints_or_forwards_a_range_with_the_original_message_ids()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 4);
        await using var receiver = await WebhookReceiver.StartAsync();
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

        var printed = await user.RunAsync("replay", "--from", "2", "--to", "4", "--print");
        var forwarded = await user.RunAsync("replay", "--from", "3", "--forward-to", receiver.Url, "--secret", secret);
        var neither = await user.RunAsync("replay", "--from", "1");

        Assert.Equal([2L, 3, 4], printed.Lines.Select(l => (long)l["Position"]!));
        Assert.True(forwarded.ExitCode == 0, forwarded.ToString());
        var log = server.Log(user.Agency);
        Assert.Equal(log.Skip(2).Select(m => m.Message.Activity.Identifier.ToString("D")), receiver.Requests.Select(r => r.Id));
        var verifier = new StandardWebhook(secret);
        Assert.All(receiver.Requests, r => verifier.Verify(Encoding.UTF8.GetString(r.Body), Headers(r)));
        Assert.Equal(log.Skip(2).Select(m => m.Body), receiver.Requests.Select(r => r.Body));
        Assert.Equal(2, neither.ExitCode);
    }

    [Fact]
    public async Task Listen_killed_mid_stream_resumes_at_its_cursor_losing_and_skipping_nothing()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 29);
        await WriteAsync(user, "C2", 19);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => WebhookReceiver.After(TimeSpan.FromMilliseconds(15), Results.NoContent());
        var environment = new Dictionary<string, string>(user.ProcessEnvironment())
        {
            ["CASELINE_URL"] = server.Url.ToString(), ["CASELINE_CLIENT_ID"] = "caseline", ["CASELINE_USERNAME"] = user.Login, ["CASELINE_PASSWORD"] = CaselineServer.Password,
        };

        using (var first = CliProcess.Start(environment, "listen", "--forward-to", receiver.Url, "--consumer", "crm", "--from", "start"))
        {
            await Harness.Until(() => receiver.Requests.Count >= 15, "the first messages to be forwarded", 60);
            await first.KillAsync();
        }

        var beforeKill = receiver.Requests.Count;
        await WriteAsync(user, "C3", 9);
        using (var second = CliProcess.Start(environment, "listen", "--forward-to", receiver.Url, "--consumer", "crm"))
        {
            var total = server.Log(user.Agency).Count;
            await Harness.Until(() => receiver.Requests.Select(r => r.Id).Distinct().Count() == total, "every message to be forwarded", 60);
            Assert.Contains("Reading after position", second.Error, StringComparison.Ordinal);
            await second.KillAsync();
        }

        var log = server.Log(user.Agency);
        var ids = log.Select(m => m.Message.Activity.Identifier.ToString("D")).ToList();
        var received = receiver.Requests.Select(r => r.Id).ToList();
        Assert.True(beforeKill < log.Count, "the kill came before the end of the stream");
        Assert.Equal(ids, received.Distinct());

        // At least once: only the message in flight when the process died may come twice, and right after itself.
        var repeats = received.Count - ids.Count;
        Assert.InRange(repeats, 0, 1);
        Assert.True(repeats == 0 || received.Zip(received.Skip(1)).Count(p => p.First == p.Second) == 1);
        var verifier = new StandardWebhook(File.ReadAllText(Path.Combine(user.ConfigDirectory, "consumers", "default", "crm.secret")));
        Assert.All(receiver.Requests, r => verifier.Verify(Encoding.UTF8.GetString(r.Body), Headers(r)));
    }

    [Fact]
    public async Task Listen_keeps_a_message_until_the_receiver_takes_it()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 1);
        await using var receiver = await WebhookReceiver.StartAsync();
        var refusals = 2;
        receiver.Answer = _ => Interlocked.Decrement(ref refusals) >= 0 ? Results.StatusCode(503) : Results.NoContent();
        using var stop = new CancellationTokenSource();

        var listen = user.RunAsync(null, stop.Token, "listen", "--forward-to", receiver.Url, "--from", "start");
        await Harness.Until(() => receiver.Requests.Count >= 4, "the refused message to be sent again and the next one", 30);
        await stop.CancelAsync();
        var result = await listen;

        Assert.Equal(130, result.ExitCode);
        var log = server.Log(user.Agency);
        var ids = log.Select(m => m.Message.Activity.Identifier.ToString("D")).ToList();
        Assert.Equal([ids[0], ids[0], ids[0], ids[1]], receiver.Requests.Select(r => r.Id));
        Assert.Contains("answered 503", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mirror_holds_every_current_profile_and_catches_up()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await WriteAsync(user, "C1", 2);
        var db = Path.Combine(user.ConfigDirectory, "mirror.db");

        var first = await user.RunAsync("mirror", "--db", db, "-o", "json");
        await WriteAsync(user, "C2", 0);
        Assert.Equal(0, (await user.RunAsync("items", "delete", "C1", "addresses", "A0")).ExitCode);
        var second = await user.RunAsync("mirror", "--db", db, "-o", "json");
        var rebuilt = await user.RunAsync("mirror", "--db", db, "--rebuild");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(3, (long)first.Lines.Single()["Position"]!);
        Assert.Equal(2, (int)second.Lines.Single()["Clients"]!);
        Assert.Equal(5, (long)second.Lines.Single()["Position"]!);
        Assert.Contains("2 clients, up to feed position 5", rebuilt.Out, StringComparison.Ordinal);
        using var mirror = Caseline.Client.Mirror.ProfileMirror.Open(db);
        Assert.Equal(["A1"], mirror.GetProfile("C1")!.Addresses.Select(a => a.IntegrationId));
    }
}
