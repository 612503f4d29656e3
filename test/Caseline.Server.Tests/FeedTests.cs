using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Server.Tests;

public sealed class FeedTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static async Task<JsonObject> Page(HttpClient http, string? cursor, string query = "")
    {
        var response = await http.Get("/api/v1/transmit/messages?" + query + (cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor)));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        return await response.ReadObject();
    }

    /// <summary>Four messages: 1 and 2 are client A's (Personal, Email), 3 client B's (Personal), 4 A's address.</summary>
    private static async Task WriteMixedLog(HttpClient http)
    {
        await http.Put("/api/v1/clients/A", """{"FirstName":"Ann","LastName":"Lee","Email":"a@b.co"}""");
        await http.Put("/api/v1/clients/B", """{"FirstName":"Bob","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/A/addresses/H", """{"AddressType":"Home","Address":"1 Main"}""");
    }

    private static List<long> Positions(JsonObject page) => [.. page["Messages"]!.AsArray().Select(m => (long)m!["Position"]!)];

    [Fact]
    public async Task Readers_paging_while_writers_commit_see_every_message_exactly_once()
    {
        var agency = CaselineServer.NewAgency();
        using var setup = await server.ForAsync(agency);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(c => setup.Put($"/api/v1/clients/C{c}", """{"FirstName":"Ann","LastName":"Lee"}""")));
        using var done = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 20).Select(async c =>
        {
            using var http = await server.ForAsync(agency);
            for (var i = 0; i < 25; i++)
            {
                Assert.True((await http.Put($"/api/v1/clients/C{c}/contacts/P{i % 4}", $$"""{"ContactType":"HomePhone","Contact":"555-{{i}}"}""")).IsSuccessStatusCode);
            }
        }).ToList();
        var readers = Enumerable.Range(0, 3).Select(async r =>
        {
            using var http = await server.ForAsync(agency);
            var seen = new List<long>();
            string? cursor = null;
            while (true)
            {
                var page = await Page(http, cursor, $"limit={3 + r}&wait=1");
                seen.AddRange(Positions(page));
                cursor = (string?)page["Cursor"];
                if (done.IsCancellationRequested && !(bool)page["HasMore"]! && Positions(page).Count == 0)
                {
                    return seen;
                }
            }
        }).ToList();

        await Task.WhenAll(writers);
        await done.CancelAsync();
        var total = server.Log(agency).Count;
        foreach (var seen in await Task.WhenAll(readers))
        {
            Assert.Equal(Enumerable.Range(1, total).Select(p => (long)p), seen);
        }
    }

    [Fact]
    public async Task The_head_is_the_agency_s_last_position_and_the_server_s_clock()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var empty = await (await http.Get("/api/v1/transmit/head")).ReadObject();
        await WriteMixedLog(http);
        using var other = await server.ForAsync(CaselineServer.NewAgency());
        await other.Put("/api/v1/clients/X", """{"FirstName":"Zed"}""");

        var head = await (await http.Get("/api/v1/transmit/head")).ReadObject();

        Assert.Equal(0, (long)empty["Position"]!);
        Assert.Equal(4, (long)head["Position"]!);
        Assert.InRange((DateTimeOffset)head["At"]!, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Pages_carry_the_stored_bytes_and_filters_narrow_them()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await WriteMixedLog(http);

        var all = await Page(http, null);
        var personal = await Page(http, null, "subType=personal%20details");
        var clientA = await Page(http, null, "clientId=A");
        var raw = await (await http.Get("/api/v1/transmit/messages")).Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal([1L, 2, 3, 4], Positions(all));
        Assert.Equal([1L, 3], Positions(personal));
        Assert.Equal([1L, 2, 4], Positions(clientA));
        Assert.All(server.Log(agency), m => Assert.True(raw.AsSpan().IndexOf(m.Body) > 0));
        var after = await Page(http, (string?)personal["Cursor"], "subType=Personal Details");
        Assert.Empty(Positions(after));
        await (await http.Get("/api/v1/transmit/messages?subType=Boat")).Problem(400);
        await (await http.Get("/api/v1/transmit/messages?limit=1001")).Problem(400);
        await (await http.Get("/api/v1/transmit/messages?wait=61")).Problem(400);
        await (await http.Get("/api/v1/transmit/messages?after=nonsense")).Problem(400);
    }

    [Fact]
    public async Task A_page_with_more_to_come_links_to_the_next_with_the_same_filters()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await WriteMixedLog(http);

        var positions = new List<long>();
        var next = "/api/v1/transmit/messages?clientId=A&limit=1";
        while (next is not null)
        {
            using var response = await http.Get(next);
            var page = await response.ReadObject();
            positions.AddRange(Positions(page));
            var link = response.Headers.TryGetValues("Link", out var values) ? values.Single() : null;
            Assert.Equal((bool)page["HasMore"]!, link is not null);
            next = link is null ? null : link[1..link.IndexOf('>', StringComparison.Ordinal)];
            if (next is not null)
            {
                Assert.EndsWith("; rel=\"next\"", link, StringComparison.Ordinal);
                Assert.Contains("clientId=A", next, StringComparison.Ordinal);
                Assert.Contains("after=" + Uri.EscapeDataString((string)page["Cursor"]!), next, StringComparison.Ordinal);
            }
        }

        Assert.Equal([1L, 2, 4], positions);
    }

    [Fact]
    public async Task A_long_poll_returns_with_a_message_written_while_it_waits()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/A", """{"FirstName":"Ann","LastName":"Lee"}""");
        var cursor = (string?)(await Page(http, null))["Cursor"];
        using var waiters = new FeedWaiters(server.Services.GetRequiredService<IMeterFactory>());

        var waiting = Page(http, cursor, "wait=60");
        await waiters.First.WaitAsync(TestContext.Current.CancellationToken); // the server holds the read open
        Assert.False(waiting.IsCompleted, "the page must wait for a message");
        await http.Put("/api/v1/clients/A/addresses/H", """{"AddressType":"Home","Address":"1 Main"}""");
        var page = await waiting;

        Assert.Equal([2L], Positions(page));
    }

    /// <summary>Completes <see cref="First"/> when the server (this one, by its meter factory) starts holding a feed read open.</summary>
    private sealed class FeedWaiters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FeedWaiters(IMeterFactory server)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == server && instrument.Name == "caseline.feed.waiters")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, change, _, _) =>
            {
                if (change > 0)
                {
                    _first.TrySetResult();
                }
            });
            _listener.Start();
        }

        public Task First => _first.Task;

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_long_poll_returns_empty_when_its_wait_runs_out()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/A", """{"FirstName":"Ann","LastName":"Lee"}""");
        var cursor = (string?)(await Page(http, null))["Cursor"];

        var page = await Page(http, cursor, "wait=1");

        Assert.Empty(Positions(page));
        Assert.Equal(cursor, (string?)page["Cursor"]);
        Assert.False((bool)page["HasMore"]!);
    }

    [Fact]
    public async Task A_reader_can_start_after_a_position_it_checkpointed()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await WriteMixedLog(http);

        Assert.Equal([3L, 4L], Positions(await Page(http, null, "afterPosition=2")));
        Assert.Empty(Positions(await Page(http, null, "afterPosition=99")));
        var both = await http.Get("/api/v1/transmit/messages?afterPosition=2&after=" + (string?)(await Page(http, null))["Cursor"]);
        Assert.Contains("afterPosition", (await both.Problem(400))["errors"]!.AsObject().Select(e => e.Key));
        await (await http.Get("/api/v1/transmit/messages?afterPosition=-1")).Problem(400);

        // The next page's link carries the cursor in place of the position.
        var link = (await http.Get("/api/v1/transmit/messages?afterPosition=1&limit=1")).Headers.GetValues("Link").Single();
        Assert.DoesNotContain("afterPosition", link, StringComparison.Ordinal);
        Assert.Equal([3L], Positions(await (await http.Get(link[1..link.IndexOf('>', StringComparison.Ordinal)])).ReadObject()));
    }

    [Fact]
    public async Task Each_entry_says_whether_the_readers_own_credentials_wrote_it()
    {
        var agency = CaselineServer.NewAgency();
        using var officer = await server.ForAsync(agency);
        using var clerk = await server.ForAsync(agency, "clerk");
        await officer.Put("/api/v1/clients/A", """{"FirstName":"Ann","LastName":"Lee"}""");
        await clerk.Put("/api/v1/clients/A", """{"Email":"a@b.co"}""");

        static List<bool> Echoes(JsonObject page) => [.. page["Messages"]!.AsArray().Select(m => (bool)m!["OwnEcho"]!)];
        Assert.Equal([true, false], Echoes(await Page(officer, null)));
        Assert.Equal([false, true], Echoes(await Page(clerk, null)));
        Assert.Equal([false, true], Echoes((await (await clerk.Get("/api/v1/clients/A/messages")).ReadObject())));
    }
}
