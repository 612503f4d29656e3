using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Storage;
using Caseline.Server.Sync;

namespace Caseline.Server.Tests;

/// <summary>The contract of <see cref="ClientStorage"/> and <see cref="JobStorage"/>, on every provider.</summary>
public abstract partial class StorageContractTests
{
    private ClientStorage Clients => Database.Clients;

    private JobStorage Jobs => Database.Jobs;

    private Task<bool> Unit(Action<WriteScope> work) => Run(scope =>
    {
        work(scope);
        return true;
    });

    private Task<T> Run<T>(Func<WriteScope, T> work) => Writes.RunAsync(work, TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_client_exists_for_its_own_agency_only_in_reads_and_writes()
    {
        var first = await NewAgency("first");
        var second = await NewAgency("second");
        await Unit(scope => Clients.Insert(scope, first, "EX1"));

        Assert.True(Clients.Exists(first, "EX1"));
        Assert.False(Clients.Exists(second, "EX1"));
        Assert.False(Clients.Exists(first, "ex1"));
        Assert.Equal((true, false), await Run(scope => (Clients.Exists(scope, first, "EX1"), Clients.Exists(scope, second, "EX1"))));
        Assert.NotNull(Clients.CreatedAt(first, "EX1"));
        Assert.Null(Clients.CreatedAt(second, "EX1"));
        Assert.Null(Clients.Sections(second, "EX1"));
        Assert.Empty(Clients.Sections(first, "EX1")!);
    }

    [Fact]
    public async Task Sections_are_put_replaced_found_and_deleted()
    {
        var agency = await NewAgency("a");
        byte[] email = [1, 2, 3], phone = [4, 5], changed = [6];
        await Unit(scope =>
        {
            Clients.Insert(scope, agency, "EX1");
            Clients.PutSection(scope, agency, "EX1", Section.EmailDetails, ClientStorage.NoItem, email);
            Clients.PutSection(scope, agency, "EX1", Section.ContactDetails, "P2", phone);
            Clients.PutSection(scope, agency, "EX1", Section.ContactDetails, "P1", phone);
            Clients.PutSection(scope, agency, "EX1", Section.ContactDetails, "P1", changed);
        });

        var (exists, stored) = await Run(scope => Clients.FindWithSection(scope, agency, "EX1", Section.ContactDetails, "P1"));
        Assert.True(exists);
        Assert.Equal(changed, stored);
        Assert.Equal((true, (byte[]?)null), await Run(scope => Clients.FindWithSection(scope, agency, "EX1", Section.ContactDetails, "P9")));
        Assert.Equal((false, (byte[]?)null), await Run(scope => Clients.FindWithSection(scope, agency, "EX2", Section.ContactDetails, "P1")));
        Assert.Equal(email, await Run(scope => Clients.StoredSection(scope, agency, "EX1", Section.EmailDetails, null)));
        Assert.Equal(3, (await Run(scope => Clients.StoredSections(scope, agency, "EX1"))).Count);

        Assert.Equal(["P1", "P2"], Clients.Items(agency, "EX1", Section.ContactDetails, null)!.Select(i => i.ItemId));
        Assert.Equal(changed, Assert.Single(Clients.Items(agency, "EX1", Section.ContactDetails, "P1")!).Details);
        Assert.Empty(Clients.Items(agency, "EX1", Section.ContactDetails, "P9")!);
        Assert.Null(Clients.Items(agency, "EX2", Section.ContactDetails, null));

        await Unit(scope => Clients.DeleteSection(scope, agency, "EX1", Section.ContactDetails, "P1"));
        Assert.Equal(
            [(Section.EmailDetails, ClientStorage.NoItem), (Section.ContactDetails, "P2")],
            Clients.Sections(agency, "EX1")!.Select(s => (s.Section, s.ItemId)).OrderBy(k => k.ItemId, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_clients_messages_are_read_in_log_order_up_to_an_instant()
    {
        var agency = await NewAgency("a");
        await Write(agency, w => { w.CreateClient("EX1"); w.CreateClient("EX2"); return w.Put("EX1", new EmailDetails("one@example.org")); });
        await Write(agency, w => w.Put("EX2", new EmailDetails("other@example.org")));
        await Write(agency, w => w.Put("EX1", new EmailDetails("two@example.org")));

        var messages = Clients.Messages(agency, "EX1");
        Assert.Equal(2, messages.Count);
        Assert.True(messages[0].Position < messages[1].Position);
        var first = MessageReader.Read(messages[0].Body);
        Assert.Equal("one@example.org", ((EmailDetails)first.Details).Email);
        Assert.Equal(messages[0].Position, Clients.Messages(agency, "EX1", through: first.Action.OccurredOn)[0].Position);
        Assert.Empty(Clients.Messages(agency, "EX1", through: first.Action.OccurredOn.AddTicks(-1)));
        Assert.Equal([messages[1].Position], Clients.Timeline(agency, "EX1", "cms user-1", messages[0].Position, 10)!.Select(m => m.Position));
        Assert.Null(Clients.Timeline(agency, "EX3", "cms user-1", 0, 10));
    }

    [Fact]
    public async Task The_client_list_filters_ignoring_case_and_sorts_and_pages()
    {
        var agency = await NewAgency("a");
        await Unit(scope =>
        {
            foreach (var (id, first, last, status, caseload, officer) in new[]
            {
                ("C1", "Ann", "Garcia", "Active", "North", "officer@a.test"),
                ("C2", "Bob", "Smith", "Inactive", "north", "OFFICER@a.test"),
                ("C3", "Cy", "Garcia_x", "Active", "South", null),
                ("GARC-9", null, null, null, null, null),
            })
            {
                Clients.Insert(scope, agency, id);
                Clients.SetNames(scope, agency, id, first, last, first is null ? null : ProfileWriter.SearchName(first, last));
                Clients.SetAssignment(scope, agency, id, status, caseload, officer);
            }
        });

        List<string> Ids(ClientFilter filter, string sort = ClientSort.Id, bool descending = false, string? after = null, int offset = 0, int limit = 10) =>
            [.. Clients.List(agency, new ClientQuery(filter, sort, descending, after, offset, limit)).Select(c => c.IntegrationId)];

        Assert.Equal(["C1", "C3", "GARC-9"], Ids(new ClientFilter(Search: "garc")));
        Assert.Equal(["C3"], Ids(new ClientFilter(Search: "a_x")));
        Assert.Equal(["C1", "C2"], Ids(new ClientFilter(Caseload: "NORTH")));
        Assert.Equal(["C1", "C2"], Ids(new ClientFilter(Officer: "Officer@A.test")));
        Assert.Equal(["C1", "C3"], Ids(new ClientFilter(Status: "active")));
        Assert.Equal(3, Clients.Count(agency, new ClientFilter(Search: "GARC")));
        Assert.Equal(4, Clients.Count(agency, new ClientFilter()));
        Assert.Empty(Ids(new ClientFilter(), after: "GARC-9"));

        // Clients with no name sort first; the identifier breaks ties.
        Assert.Equal(["GARC-9", "C1", "C3", "C2"], Ids(new ClientFilter(), ClientSort.Name));
        Assert.Equal(["C2", "C3", "C1", "GARC-9"], Ids(new ClientFilter(), ClientSort.Name, descending: true));
        Assert.Equal(["C3", "C2"], Ids(new ClientFilter(), ClientSort.Name, offset: 2, limit: 5));
        Assert.Equal(["C2", "C3"], Ids(new ClientFilter(), after: "C1", limit: 2));
        Assert.Contains(ClientSort.Officer, ClientStorage.Sorts);
    }

    [Fact]
    public async Task Lookups_are_replaced_whole_and_in_use_values_are_gathered()
    {
        var agency = await NewAgency("a");
        var other = await NewAgency("b");
        await Unit(scope =>
        {
            Clients.ReplaceLookup(scope, agency, "genders", ["Z", "A"]);
            Clients.ReplaceLookup(scope, other, "genders", ["B"]);
            Clients.Insert(scope, agency, "C1");
            Clients.Insert(scope, agency, "C2");
            Clients.Insert(scope, agency, "C3");
            Clients.SetAssignment(scope, agency, "C1", "Active", "South", "b@a.test");
            Clients.SetAssignment(scope, agency, "C2", "Active", "North", "b@a.test");
        });

        Assert.Equal(["Z", "A"], Clients.LookupValues(agency, "genders"));
        Assert.Equal(["North", "South"], Clients.ValuesInUse(agency, "caseloads"));
        Assert.Equal(["b@a.test"], Clients.ValuesInUse(agency, "officers"));
        Assert.Empty(Clients.ValuesInUse(agency, "genders"));
        Assert.Empty(Clients.ValuesInUse(other, "caseloads"));

        await Unit(scope => Clients.ReplaceLookup(scope, agency, "genders", []));
        Assert.Empty(Clients.LookupValues(agency, "genders"));
        Assert.Equal(["B"], Clients.LookupValues(other, "genders"));
    }

    [Fact]
    public async Task A_sync_job_is_queued_run_advanced_and_finished()
    {
        var agency = await NewAgency("a");
        var other = await NewAgency("b");
        var owner = new JobOwner(agency, "tester", "cms user-1");
        await Unit(scope => Jobs.Insert(scope, "job1", owner, 10, "node-a"));
        await Unit(scope => Jobs.Insert(scope, "job2", owner, 5, "node-b"));

        var queued = Jobs.Find(agency, "job1")!;
        Assert.Equal((SyncJobState.Queued, 10L, 0L), (queued.State, queued.TotalLines, queued.LinesProcessed));
        Assert.Null(Jobs.Find(other, "job1"));
        Assert.Equal(["job1", "job2"], Jobs.UnfinishedIds().Order(StringComparer.Ordinal));
        var (next, nextOwner) = Jobs.NextUnfinished("node-a")!.Value;
        Assert.Equal(("job1", owner), (next.Id, nextOwner));
        Assert.Equal("job2", Jobs.NextUnfinished("node-b")!.Value.Job.Id);
        Assert.Null(Jobs.NextUnfinished("node-c"));

        var error = new SyncLineError(3, "EX3", new Dictionary<string, string[]> { ["Email"] = ["Email is invalid"] });
        await Unit(scope => Jobs.Start(scope, "job1"));
        await Unit(scope => Jobs.Advance(scope, "job1", new SyncProgress(4, 1, 1, 1, 1, 2, 5), [error]));
        await Unit(scope => Jobs.Advance(scope, "job1", new SyncProgress(10, 1, 0, 0, 0, 0, 1), [error]));
        var running = Jobs.Find(agency, "job1")!;
        Assert.Equal(SyncJobState.Running, running.State);
        Assert.NotNull(running.StartedAt);
        Assert.Equal((10L, 2L, 1L, 1L, 1L, 2L, 6L), (running.LinesProcessed, running.Created, running.Updated, running.Unchanged, running.Invalid, running.ItemsRemoved, running.MessagesWritten));
        Assert.Equal("Email is invalid", Assert.Single(Assert.Single(running.Errors).Errors["Email"]));

        // A resumed job keeps its first start.
        await Unit(scope => Jobs.Start(scope, "job1"));
        Assert.Equal(running.StartedAt, Jobs.Find(agency, "job1")!.StartedAt);

        await Unit(scope => Jobs.Finish(scope, "job1", SyncJobState.Completed, null));
        await Unit(scope => Jobs.Finish(scope, "job2", SyncJobState.Failed, "The uploaded file is missing."));
        Assert.Equal(SyncJobState.Completed, Jobs.Find(agency, "job1")!.State);
        Assert.Equal("The uploaded file is missing.", Jobs.Find(agency, "job2")!.Failure);
        Assert.Empty(Jobs.UnfinishedIds());
        Assert.Null(Jobs.NextUnfinished("node-a"));
        Assert.Equal(["job1", "job2"], Jobs.Recent(agency, 10).Select(j => j.Id).Order(StringComparer.Ordinal));
        Assert.Single(Jobs.Recent(agency, 1));
        Assert.Empty(Jobs.Recent(other, 10));
    }

    [Fact]
    public async Task A_lease_has_one_holder_until_it_is_released_or_lapses()
    {
        Task<bool> Hold(string holder, TimeSpan duration) => Run(scope => Jobs.HoldLease(scope, "retention", holder, scope.Now + duration));

        Assert.True(await Hold("a", TimeSpan.FromMinutes(1)));
        Assert.True(await Hold("a", TimeSpan.FromMinutes(1)));
        Assert.False(await Hold("b", TimeSpan.FromMinutes(1)));

        await Unit(scope => Jobs.ReleaseLease(scope, "retention", "b"));
        Assert.False(await Hold("b", TimeSpan.FromMinutes(1)));
        await Unit(scope => Jobs.ReleaseLease(scope, "retention", "a"));
        Assert.True(await Hold("b", TimeSpan.FromMinutes(-1)));

        // b's lease has lapsed: a takes it over.
        Assert.True(await Hold("a", TimeSpan.FromMinutes(1)));
        Assert.False(await Hold("b", TimeSpan.FromMinutes(1)));
    }
}
