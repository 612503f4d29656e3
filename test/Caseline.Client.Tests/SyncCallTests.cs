using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Server.Tests;

namespace Caseline.Client.Tests;

/// <summary>Every Sync route through the SDK, against the real server on loopback.</summary>
public sealed class SyncCallTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly PersonalDetails Johnathan = new("Johnathan", "Farmer", new DateOnly(1980, 5, 28), "Mountain Standard Time", "Male", "Caucasian", "High - Violence", "High - Mental Health");

    [Fact]
    public async Task A_client_is_created_replaced_and_read_back_section_by_section()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());

        var created = await sdk.CreateClientAsync("EX1", new ClientSections(Johnathan, new AccountDetails("Active", "North", "officer@county.org")), Ct);
        Assert.Equal("Johnathan", created.FirstName);
        Assert.Equal("North", created.AssignedCaseload);

        // Only Email is sent: Personal and Account stay as they are.
        var put = await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("jf@example.org")), Ct);
        Assert.False(put.Created);
        Assert.Equal(("Johnathan", "North", "jf@example.org"), (put.Value.FirstName, put.Value.AssignedCaseload, put.Value.Email));

        var replaced = await sdk.PutClientAsync("EX1", new ClientSections(Account: new AccountDetails("Inactive", null, null)), Ct);
        Assert.Equal(("Inactive", null, "Johnathan"), (replaced.Value.Status, replaced.Value.AssignedCaseload, replaced.Value.FirstName));

        Assert.True((await sdk.PutClientAsync("EX2", new ClientSections(Johnathan), Ct)).Created);
        Assert.Equal(replaced.Value, await sdk.GetClientAsync("EX1", cancellationToken: Ct));
        Assert.Null(await sdk.GetClientAsync("NOPE", cancellationToken: Ct));
    }

    [Fact]
    public async Task Invalid_input_and_conflicts_are_thrown_with_the_problem_and_its_field_messages()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.CreateClientAsync("EX1", new ClientSections(Johnathan), Ct);

        var conflict = await Assert.ThrowsAsync<CaselineException>(() => sdk.CreateClientAsync("EX1", new ClientSections(Johnathan), Ct));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.False(conflict.IsTransient);

        var invalid = await Assert.ThrowsAsync<CaselineException>(() =>
            sdk.PutClientAsync("EX1", new ClientSections(Johnathan with { FirstName = null }, Email: new EmailDetails("not an email")), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(["FirstName is required"], invalid.Errors["FirstName"]);
        Assert.Equal(["Email is invalid"], invalid.Errors["Email"]);
        Assert.NotNull(invalid.TraceId);
        Assert.DoesNotContain("not an email", invalid.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<CaselineException>(() => sdk.PutItemAsync("NOPE", new AddressDetails("H", "Home", "1 Main St"), Ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Every_item_collection_is_put_read_and_removed()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.CreateClientAsync("EX1", new ClientSections(Johnathan), Ct);

        Assert.True((await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "1 Main St"), Ct)).Created);
        Assert.False((await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "2 Main St"), Ct)).Created);
        await sdk.PutItemAsync("EX1", new ContactDetails("M", "MobilePhone", "555-0100"), Ct);
        await sdk.PutItemAsync("EX1", new VehicleDetails("V", "Ford", "F-150", "2016", "Blue", "ABC123"), Ct);
        await sdk.PutItemAsync("EX1", new EmploymentDetails("E", "Acme", "Welder", "9 Works Rd", "555-0101", 21.5m, "Hour", "Shop floor"), Ct);
        var @case = new CaseDetails("C1", "CR-2019-1", new DateOnly(2019, 1, 2), "Open", [new Offense("Theft", new DateOnly(2018, 12, 1), "18-4-401", "Felony", true)]);
        Assert.Equal(@case, (await sdk.PutItemAsync("EX1", @case, Ct)).Value);
        await sdk.PutItemAsync("EX1", new ProtectiveOrderDetails("P", "No contact", new DateOnly(2020, 1, 1), new DateOnly(2021, 1, 1), "J. Doe", false, true, null, "School", null, null, null), Ct);

        Assert.Equal("2 Main St", Assert.Single(await sdk.GetItemsAsync<AddressDetails>("EX1", Ct)).Address);
        Assert.Equal(@case, await sdk.GetItemAsync<CaseDetails>("EX1", "C1", Ct));
        Assert.Null(await sdk.GetItemAsync<CaseDetails>("EX1", "C2", Ct));
        var profile = (await sdk.GetClientAsync("EX1", cancellationToken: Ct))!;
        Assert.Equal([1, 1, 1, 1, 1, 1], new[] { profile.Addresses.Count, profile.Contacts.Count, profile.Vehicles.Count, profile.Employers.Count, profile.Cases.Count, profile.ProtectiveOrders.Count });

        Assert.True(await sdk.DeleteItemAsync<VehicleDetails>("EX1", "V", Ct));
        Assert.False(await sdk.DeleteItemAsync<VehicleDetails>("EX1", "V", Ct));
        Assert.Empty(await sdk.GetItemsAsync<VehicleDetails>("EX1", Ct));
    }

    [Fact]
    public async Task The_timeline_and_as_of_show_the_clients_history()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.CreateClientAsync("EX1", new ClientSections(Johnathan), Ct);
        await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "1 Main St"), Ct);
        var before = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "2 Main St"), Ct);
        await sdk.DeleteItemAsync<AddressDetails>("EX1", "H", Ct);

        var timeline = await sdk.GetTimelineAsync("EX1", pageSize: 1, Ct).ToListAsync();
        Assert.Equal(["Personal Details Created", "Address Details Created", "Address Details Updated", "Address Details Removed"], timeline.Select(m => m.Message.Action.Reason));
        Assert.All(timeline, m => Assert.True(m.OwnEcho));
        Assert.Equal("1 Main St", Assert.Single((await sdk.GetClientAsync("EX1", before, Ct))!.Addresses).Address);
        Assert.Empty((await sdk.GetClientAsync("EX1", cancellationToken: Ct))!.Addresses);
        Assert.Null(await sdk.GetClientAsync("EX1", before.AddDays(-1), Ct));
    }

    [Fact]
    public async Task The_client_list_pages_by_itself_and_filters()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        for (var i = 0; i < 23; i++)
        {
            await sdk.PutClientAsync($"C{i:00}", new ClientSections(Johnathan with { LastName = i % 2 == 0 ? "Even" : "Odd" }, new AccountDetails("Active", "North", null)), Ct);
        }

        var all = await sdk.ListClientsAsync(pageSize: 5, cancellationToken: Ct).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"C{i:00}"), all.Select(c => c.IntegrationId));
        var odd = await sdk.ListClientsAsync(new ClientQuery(Name: "odd", Caseload: "North"), pageSize: 4, Ct).ToListAsync();
        Assert.Equal(11, odd.Count);
        Assert.All(odd, c => Assert.Equal("Odd", c.LastName));
    }

    [Fact]
    public async Task Lookups_are_read_by_kind()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());

        Assert.Equal(["Home", "Work", "Other"], await sdk.GetLookupAsync(LookupKinds.AddressTypes, Ct));
        Assert.Contains("Mountain Standard Time", await sdk.GetLookupAsync(LookupKinds.TimeZones, Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<CaselineException>(() => sdk.GetLookupAsync("colours", Ct))).StatusCode);
    }

    [Fact]
    public async Task A_bulk_sync_streams_profiles_reports_progress_and_returns_the_finished_job()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(server, agency);
        await sdk.PutClientAsync("B0000", new ClientSections(Johnathan), Ct);
        var reports = new List<SyncProgress>();

        var job = await sdk.SyncAsync(Profiles(2500), new SyncReporter(reports), TimeSpan.FromMilliseconds(50), Ct);

        Assert.Equal("Completed", job.State);
        Assert.Equal((2500L, 2498L, 1L, 1L), (job.TotalLines, job.Created, job.Updated, job.Invalid));
        Assert.Equal(2, Assert.Single(job.Errors).Line);
        Assert.Contains(reports, r => r.Job is null && r.ProfilesUploaded == 1000);
        Assert.Equal(2500, reports.Where(r => r.Job is null).Max(r => r.ProfilesUploaded));
        Assert.Equal("Farmer-2", (await sdk.GetClientAsync("B0002", cancellationToken: Ct))!.LastName);
        Assert.Null(await sdk.GetClientAsync("B0001", cancellationToken: Ct));

        static async IAsyncEnumerable<ClientProfile> Profiles(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                // Line 2 has no first name: refused, and reported by its line number.
                yield return ClientProfile.FromSections($"B{i:0000}", [Johnathan with { FirstName = i == 1 ? null : "J", LastName = $"Farmer-{i}" }, new AddressDetails("H", "Home", $"{i} Main St")]);
            }
        }
    }

    [Fact]
    public async Task Messages_written_by_other_credentials_are_not_an_echo()
    {
        var agency = CaselineServer.NewAgency();
        using var cms = await Sdk.For(server, agency);
        using var clerk = await Sdk.For(server, agency, "clerk");
        await cms.PutClientAsync("EX1", new ClientSections(Johnathan), Ct);
        await clerk.PutItemAsync("EX1", new AddressDetails("H", "Home", "1 Main St"), Ct);

        var feed = await cms.ReadFeedAsync(cancellationToken: Ct).ToListAsync();

        Assert.Equal([true, false], feed.Select(m => m.OwnEcho));
        Assert.Equal([1L, 2L], feed.Select(m => m.Position));
    }

    [Fact]
    public async Task A_reader_that_stops_early_leaves_the_client_ready_for_the_next_read()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        for (var i = 0; i < 11; i++)
        {
            await sdk.PutItemAsync("EX1", new AddressDetails($"A{i}", "Home", $"{i} Main St"), Ct);
        }

        for (var round = 0; round < 20; round++)
        {
            await foreach (var item in sdk.ReadFeedAsync(0, new FeedReadOptions { PageSize = 1 }, Ct))
            {
                Assert.Equal(1, item.Position);
                break; // pages are being fetched ahead: they must be let go, not leaked
            }
        }

        Assert.Equal(Enumerable.Range(1, 12).Select(p => (long)p), (await sdk.ReadFeedAsync(0, new FeedReadOptions { PageSize = 5 }, Ct).ToListAsync()).Select(m => m.Position));
    }

    [Fact]
    public async Task Machine_credentials_sign_in_with_the_client_credentials_grant()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var created = (await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "County CMS" }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        using var sdk = new CaselineClient(new CaselineClientOptions
        {
            BaseAddress = server.Url,
            Credentials = CaselineCredentials.ClientCredentials((string)created["ClientId"]!, (string)created["Secret"]!),
        });

        await sdk.PutClientAsync("EX1", new ClientSections(Johnathan), Ct);

        var message = Assert.Single(await sdk.ReadFeedAsync(cancellationToken: Ct).ToListAsync());
        Assert.Equal("County CMS", message.Message.Action.UpdatedBy);
        Assert.True(message.OwnEcho);
        Assert.Equal(server.Log(agency)[0].Body, message.Body.ToArray());
    }

    [Fact]
    public async Task Wrong_credentials_are_an_authentication_failure_that_is_not_retried()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(server, agency, configure: o => o.Credentials = CaselineCredentials.Password("caseline", null, CaselineServer.Login(agency), "wrong-password"));

        var refused = await Assert.ThrowsAsync<CaselineException>(() => sdk.GetClientAsync("EX1", cancellationToken: Ct));

        Assert.True(refused.IsAuthenticationFailure);
        Assert.False(refused.IsTransient);
        Assert.DoesNotContain("wrong-password", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, sdk.TokensRequested);
    }

    /// <summary>Records progress as it is reported (Progress&lt;T&gt; would post it later, on the thread pool).</summary>
    private sealed class SyncReporter(List<SyncProgress> reports) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
